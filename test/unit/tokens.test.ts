import { describe, expect, it } from 'vitest';
import {
  BACKUP_TOKEN_PATTERN,
  deriveBackupTags,
  deriveBackupToken,
  normalizeSlotTime,
  tagKeyProblem,
  tagValueProblem,
} from '../../functions/shared/domain/tokens.js';

const slot = { policyId: 'prod-daily', targetId: 'fs-0123456789abcdef0', scheduledTime: '2026-12-04T01:00:00Z' };
const longPolicyId = 'a-very-long-policy-id-that-uses-all-40ch';

describe('normalizeSlotTime', () => {
  it('writes the slot as a UTC instant to the minute', () => {
    expect(normalizeSlotTime('2026-12-04T01:00:00.000Z')).toBe('2026-12-04T01:00:00Z');
    expect(normalizeSlotTime('2026-12-04T02:00:00+01:00')).toBe('2026-12-04T01:00:00Z');
    expect(normalizeSlotTime(new Date(Date.UTC(2026, 11, 4, 1, 0, 0)))).toBe('2026-12-04T01:00:00Z');
  });

  it('drops seconds, because the scheduler has one-minute precision', () => {
    expect(normalizeSlotTime('2026-12-04T01:00:59.999Z')).toBe('2026-12-04T01:00:00Z');
  });

  it.each(['2026-12-04', '2026-12-04T01:00:00', 'yesterday', '2026-12-04T25:00:00Z', ''])(
    'refuses %j, which is not an ISO time with a zone',
    (value) => {
      expect(() => normalizeSlotTime(value)).toThrow(RangeError);
    },
  );

  it('refuses an invalid Date', () => {
    expect(() => normalizeSlotTime(new Date(Number.NaN))).toThrow(RangeError);
  });
});

describe('deriveBackupToken', () => {
  it('fits the FSx ClientRequestToken rules', () => {
    const token = deriveBackupToken(slot);
    expect(token).toMatch(BACKUP_TOKEN_PATTERN);
    expect(token.length).toBeLessThanOrEqual(63);
  });

  it('starts with the policy id and the slot, so a token can be read in logs', () => {
    expect(deriveBackupToken(slot)).toMatch(/^prod-daily\.20261204T0100Z\.[a-z2-7]{20}$/);
  });

  it('stays within 63 characters for the longest policy id and target id', () => {
    const token = deriveBackupToken({ policyId: longPolicyId, targetId: 'fsvol-0123456789abcdef0', scheduledTime: '2199-12-31T23:59:00Z' });
    expect(token).toMatch(BACKUP_TOKEN_PATTERN);
    expect(token).toHaveLength(63);
  });

  it('is the same for the same slot and target, whatever form the time takes', () => {
    const forms = ['2026-12-04T01:00:00Z', '2026-12-04T01:00:00.000Z', '2026-12-04T01:00Z', '2026-12-04T02:00:00+01:00', new Date('2026-12-04T01:00:00Z')];
    const tokens = new Set(forms.map((scheduledTime) => deriveBackupToken({ ...slot, scheduledTime })));
    expect(tokens.size).toBe(1);
  });

  it('keeps its pinned value, because changing the scheme would make in-flight retries create second backups', () => {
    expect(deriveBackupToken(slot)).toBe('prod-daily.20261204T0100Z.e4wdz5jz672i7viumg3j');
  });

  it('differs between slots of the same policy and target', () => {
    const a = deriveBackupToken(slot);
    const b = deriveBackupToken({ ...slot, scheduledTime: '2026-12-05T01:00:00Z' });
    const c = deriveBackupToken({ ...slot, scheduledTime: '2026-12-04T01:01:00Z' });
    expect(new Set([a, b, c]).size).toBe(3);
  });

  it('differs between targets of the same slot', () => {
    const a = deriveBackupToken(slot);
    const b = deriveBackupToken({ ...slot, targetId: 'fs-0123456789abcdef1' });
    const c = deriveBackupToken({ ...slot, targetId: 'fsvol-0123456789abcdef0' });
    expect(new Set([a, b, c]).size).toBe(3);
  });

  it('differs between policies whose ids agree in the first 27 characters', () => {
    const a = deriveBackupToken({ ...slot, policyId: `${longPolicyId.slice(0, 39)}x` });
    const b = deriveBackupToken({ ...slot, policyId: `${longPolicyId.slice(0, 39)}y` });
    expect(a.slice(0, 42)).toBe(b.slice(0, 42));
    expect(a).not.toBe(b);
  });

  it('gives a thousand targets across a day of hourly slots a thousand times 24 distinct tokens', () => {
    const tokens = new Set<string>();
    for (let t = 0; t < 1000; t++) {
      const targetId = `fs-${t.toString(16).padStart(17, '0')}`;
      for (let h = 0; h < 24; h++) {
        tokens.add(deriveBackupToken({ policyId: 'prod-daily', targetId, scheduledTime: `2026-12-04T${String(h).padStart(2, '0')}:00:00Z` }));
      }
    }
    expect(tokens.size).toBe(24_000);
  });
});

describe('deriveBackupTags', () => {
  const input = { ...slot, backupTags: { team: 'storage', Retention: '30d' }, stackName: 'fsx-backup-prod' };

  it('carries the reserved tags, the policy tags and a readable Name, sorted by key', () => {
    expect(deriveBackupTags(input)).toEqual([
      { Key: 'Name', Value: 'fsx-backup prod-daily 2026-12-04T01:00Z' },
      { Key: 'Retention', Value: '30d' },
      { Key: 'fsx-backup:managed-by', Value: 'fsx-backup-prod' },
      { Key: 'fsx-backup:policy', Value: 'prod-daily' },
      { Key: 'fsx-backup:slot', Value: '2026-12-04T01:00:00Z' },
      { Key: 'fsx-backup:target', Value: 'fs-0123456789abcdef0' },
      { Key: 'team', Value: 'storage' },
    ]);
  });

  it('is the same for the same slot, whatever form the time takes and in whatever order the policy lists its tags', () => {
    const again = deriveBackupTags({ ...input, scheduledTime: '2026-12-04T01:00:00.000Z', backupTags: { Retention: '30d', team: 'storage' } });
    expect(again).toEqual(deriveBackupTags(input));
  });

  it('never lets policy tags override the reserved ones', () => {
    const tags = deriveBackupTags({ ...input, backupTags: { Name: 'mine', 'fsx-backup:managed-by': 'someone-else', 'FSX-Backup:policy': 'x' } });
    expect(tags.find((t) => t.Key === 'Name')?.Value).toBe('fsx-backup prod-daily 2026-12-04T01:00Z');
    expect(tags.find((t) => t.Key === 'fsx-backup:managed-by')?.Value).toBe('fsx-backup-prod');
    expect(tags.map((t) => t.Key)).not.toContain('FSX-Backup:policy');
  });

  it('fits within 50 tags when a policy uses its full allowance of 45', () => {
    const backupTags = Object.fromEntries(Array.from({ length: 45 }, (_, i) => [`k${i}`, `v${i}`]));
    expect(deriveBackupTags({ ...input, backupTags })).toHaveLength(50);
  });

  it('refuses to build more than 50 tags', () => {
    const backupTags = Object.fromEntries(Array.from({ length: 46 }, (_, i) => [`k${i}`, `v${i}`]));
    expect(() => deriveBackupTags({ ...input, backupTags })).toThrow(/at most 50 tags/);
  });

  it('refuses a tag FSx would reject', () => {
    expect(() => deriveBackupTags({ ...input, stackName: 'bad!name' })).toThrow(/fsx-backup:managed-by/);
  });
});

describe('FSx tag rules', () => {
  it('accept keys of 1-128 and values of 0-256 letters, digits, spaces and _ . : / = + - @', () => {
    expect(tagKeyProblem('cost-center/team_a:b=c+d@e.f')).toBeUndefined();
    expect(tagKeyProblem('Überprüfung Größe')).toBeUndefined();
    expect(tagKeyProblem('k'.repeat(128))).toBeUndefined();
    expect(tagValueProblem('')).toBeUndefined();
    expect(tagValueProblem('v'.repeat(256))).toBeUndefined();
  });

  it('reject empty, long and badly spelled keys and values', () => {
    expect(tagKeyProblem('')).toContain('must not be empty');
    expect(tagKeyProblem('k'.repeat(129))).toContain('at most 128 characters');
    expect(tagKeyProblem('a*b')).toContain('may only contain');
    expect(tagKeyProblem('aws:createdBy')).toContain('"aws:"');
    expect(tagValueProblem('v'.repeat(257))).toContain('at most 256 characters');
    expect(tagValueProblem('a;b')).toContain('may only contain');
  });
});
