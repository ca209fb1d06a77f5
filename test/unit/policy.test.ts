import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import {
  type PolicyError,
  formatPath,
  formatPolicyErrors,
  parsePolicy,
  policyJsonSchema,
} from '../../functions/shared/domain/policy.js';

const minimal = {
  policyId: 'prod-daily',
  schedule: { expression: 'cron(0 2 * * ? *)' },
  targets: { tags: { backup: 'daily' } },
};

/** The minimal policy with some fields replaced; `undefined` removes a field. */
function policyWith(changes: Record<string, unknown>): Record<string, unknown> {
  const policy: Record<string, unknown> = structuredClone(minimal);
  for (const [path, value] of Object.entries(changes)) {
    const keys = path.split('.');
    let node = policy;
    for (const key of keys.slice(0, -1)) {
      node[key] ??= {};
      node = node[key] as Record<string, unknown>;
    }
    const last = keys[keys.length - 1] ?? '';
    if (value === undefined) delete node[last];
    else node[last] = value;
  }
  return policy;
}

function errorsOf(input: unknown): PolicyError[] {
  const result = parsePolicy(input);
  if (result.ok) throw new Error('expected the policy to be rejected');
  return result.errors;
}

const examplesDir = fileURLToPath(new URL('../../examples/policies/', import.meta.url));
const exampleFiles = readdirSync(examplesDir).filter((f) => f.endsWith('.yaml'));

describe('parsePolicy', () => {
  it('fills in every default for a minimal policy', () => {
    expect(parsePolicy(minimal)).toEqual({
      ok: true,
      policy: {
        policyId: 'prod-daily',
        enabled: true,
        schedule: { expression: 'cron(0 2 * * ? *)', timezone: 'UTC', startWindowMinutes: 60, completionWindowMinutes: 720 },
        targets: { ids: [], tags: { backup: 'daily' }, exclude: { ids: [], tags: {} } },
        backupTags: {},
        maxConcurrency: 10,
      },
    });
  });

  it('keeps every field a complete policy sets', () => {
    const full = {
      policyId: 'ontap-finance',
      description: 'Finance volumes',
      enabled: false,
      schedule: { expression: 'rate(6 hours)', timezone: 'Europe/Berlin', startWindowMinutes: 30, completionWindowMinutes: 30 },
      targets: {
        ids: ['fs-0123456789abcdef0', 'fsvol-0123456789abcdef0'],
        tags: { backup: 'daily', env: 'prod' },
        fileSystemTypes: ['ONTAP', 'WINDOWS'],
        exclude: { ids: ['fsvol-0123456789abcdef1'], tags: { backup: 'skip' } },
      },
      backupTags: { team: 'finance', 'cost center': 'Ünit 7' },
      maxConcurrency: 50,
    };
    expect(parsePolicy(full)).toEqual({ ok: true, policy: full });
  });

  it('accepts and drops the bookkeeping attributes the system writes on the item', () => {
    const result = parsePolicy({ ...minimal, updatedAt: '2026-12-04T01:00:00Z', scheduleStatus: 'SYNCED', version: 7 });
    expect(result.ok && Object.keys(result.policy)).not.toContain('updatedAt');
    expect(result.ok && Object.keys(result.policy)).not.toContain('version');
    expect(result.ok && Object.keys(result.policy)).not.toContain('scheduleStatus');
  });

  it('does not change the input it is given', () => {
    const input = structuredClone({ ...minimal, version: 3 });
    parsePolicy(input);
    expect(input).toEqual({ ...minimal, version: 3 });
  });

  it('gives each parsed policy its own default lists, so one policy cannot change another', () => {
    const a = parsePolicy(minimal);
    const b = parsePolicy(minimal);
    if (!a.ok || !b.ok) throw new Error('expected both to parse');
    a.policy.targets.ids.push('fs-0123456789abcdef0');
    expect(b.policy.targets.ids).toEqual([]);
  });

  it('reports every problem in one pass, not only the first', () => {
    const errors = errorsOf(
      policyWith({ policyId: 'Prod', 'schedule.timezone': 'Mars/Base', maxConcurrency: 0, backupTags: { Name: 'x', n: 3 } }),
    );
    expect(errors.map((e) => e.path)).toEqual(
      expect.arrayContaining(['policyId', 'schedule.timezone', 'maxConcurrency', 'backupTags.Name', 'backupTags.n']),
    );
  });

  // Each bad policy, the path of the error it must produce, and (part of) the message.
  const badPolicies: [string, unknown, string, string][] = [
    ['not an object', 'policyId: x', '', 'must be a map of fields, got "policyId: x"'],
    ['null', null, '', 'must be a map of fields, got null'],
    ['a list', [minimal], '', 'must be a map of fields, got a list'],
    ['no policyId', policyWith({ policyId: undefined }), 'policyId', 'is required'],
    ['an upper-case policyId', policyWith({ policyId: 'Prod-Daily' }), 'policyId', '"Prod-Daily" is not a policy id'],
    ['a policyId ending in a hyphen', policyWith({ policyId: 'prod-' }), 'policyId', 'starting and ending with a letter or digit'],
    ['a policyId of 41 characters', policyWith({ policyId: 'p'.repeat(41) }), 'policyId', 'use 1-40 lower-case letters'],
    ['an empty policyId', policyWith({ policyId: '' }), 'policyId', 'is not a policy id'],
    ['a numeric policyId', policyWith({ policyId: 42 }), 'policyId', 'must be text, got the number 42'],
    ['an empty description', policyWith({ description: '' }), 'description', 'must not be empty'],
    ['a description of 257 characters', policyWith({ description: 'd'.repeat(257) }), 'description', 'must be at most 256 characters'],
    ['enabled as text', policyWith({ enabled: 'yes' }), 'enabled', 'must be true or false, got "yes"'],
    ['an unknown top-level field', policyWith({ retention: 7 }), 'retention', 'unknown field "retention"; allowed fields here: policyId'],
    ['a misspelled top-level field', policyWith({ maxConcurency: 5 }), 'maxConcurency', 'did you mean "maxConcurrency"?'],
    ['no schedule', policyWith({ schedule: undefined }), 'schedule', 'is required'],
    ['no schedule expression', policyWith({ 'schedule.expression': undefined }), 'schedule.expression', 'is required'],
    ['a five-field cron', policyWith({ 'schedule.expression': 'cron(0 2 * * *)' }), 'schedule.expression', 'cron needs 6 fields (minutes hours day-of-month month day-of-week year), got 5'],
    ['a cron with neither day field ?', policyWith({ 'schedule.expression': 'cron(0 2 * * * *)' }), 'schedule.expression', 'one of day-of-month and day-of-week must be ?'],
    ['a cron hour of 24', policyWith({ 'schedule.expression': 'cron(0 24 * * ? *)' }), 'schedule.expression', 'hours: 24 is out of range 0-23'],
    ['rate(1 minutes)', policyWith({ 'schedule.expression': 'rate(1 minutes)' }), 'schedule.expression', 'must use the singular: rate(1 minute)'],
    ['rate(5 minute)', policyWith({ 'schedule.expression': 'rate(5 minute)' }), 'schedule.expression', 'must use the plural: rate(5 minutes)'],
    ['a one-time at() schedule', policyWith({ 'schedule.expression': 'at(2026-12-04T01:00:00)' }), 'schedule.expression', 'a policy needs a recurring schedule'],
    ['a crontab line', policyWith({ 'schedule.expression': '0 2 * * *' }), 'schedule.expression', 'is not a schedule expression'],
    ['a misspelled time zone', policyWith({ 'schedule.timezone': 'Europe/Berln' }), 'schedule.timezone', '"Europe/Berln" is not an IANA time zone'],
    ['a zone abbreviation', policyWith({ 'schedule.timezone': 'CET' }), 'schedule.timezone', '"CET" is not an IANA time zone'],
    ['timeZone in camel case', policyWith({ 'schedule.timeZone': 'UTC' }), 'schedule.timeZone', 'unknown field "timeZone" (did you mean "timezone"?)'],
    ['a start window of 0', policyWith({ 'schedule.startWindowMinutes': 0 }), 'schedule.startWindowMinutes', 'must be at least 1'],
    ['a start window over a day', policyWith({ 'schedule.startWindowMinutes': 1441 }), 'schedule.startWindowMinutes', 'must be at most 1440'],
    ['a fractional start window', policyWith({ 'schedule.startWindowMinutes': 7.5 }), 'schedule.startWindowMinutes', 'must be a whole number, got the number 7.5'],
    ['a start window as text', policyWith({ 'schedule.startWindowMinutes': '60' }), 'schedule.startWindowMinutes', 'must be a number, got "60"'],
    ['a completion window over a week', policyWith({ 'schedule.completionWindowMinutes': 10081 }), 'schedule.completionWindowMinutes', 'must be at most 10080'],
    [
      'a completion window shorter than the start window',
      policyWith({ 'schedule.startWindowMinutes': 120, 'schedule.completionWindowMinutes': 60 }),
      'schedule.completionWindowMinutes',
      'must be at least startWindowMinutes (120), got 60',
    ],
    ['no targets', policyWith({ targets: undefined }), 'targets', 'is required'],
    ['targets with neither ids nor tags', policyWith({ targets: {} }), 'targets', 'needs ids or tags (or both)'],
    ['targets with empty ids and tags', policyWith({ targets: { ids: [], tags: {} } }), 'targets', 'needs ids or tags (or both)'],
    ['a target id that is not an FSx id', policyWith({ 'targets.ids': ['fs-0123456789abcdef0', 'vol-0123'] }), 'targets.ids[1]', '"vol-0123" is not a file system id'],
    ['a target id with upper-case hex', policyWith({ 'targets.ids': ['fs-0123456789ABCDEF0'] }), 'targets.ids[0]', 'hex digits must be lower case'],
    ['a file system id that is too short', policyWith({ 'targets.ids': ['fs-0123456'] }), 'targets.ids[0]', 'is not a file system id (fs- and 8-18 hex digits)'],
    ['a volume id of 16 hex digits', policyWith({ 'targets.ids': ['fsvol-0123456789abcdef'] }), 'targets.ids[0]', 'ONTAP volume id (fsvol- and 17 hex digits)'],
    [
      'a target listed twice',
      policyWith({ 'targets.ids': ['fs-0123456789abcdef0', 'fsvol-0123456789abcdef0', 'fs-0123456789abcdef0'] }),
      'targets.ids[2]',
      '"fs-0123456789abcdef0" is listed twice (first at index 0)',
    ],
    ['ids as a single string', policyWith({ 'targets.ids': 'fs-0123456789abcdef0' }), 'targets.ids', 'must be a list, got "fs-0123456789abcdef0"'],
    ['a selector tag value that is a number', policyWith({ 'targets.tags': { retention: 7 } }), 'targets.tags.retention', 'tag values must be text, got the number 7 (quote it in YAML)'],
    ['a selector tag with a forbidden character', policyWith({ 'targets.tags': { 'backup!': 'daily' } }), 'targets.tags["backup!"]', 'may only contain letters'],
    ['selector tags as a list', policyWith({ 'targets.tags': ['backup=daily'] }), 'targets.tags', 'must be a map of fields, got a list'],
    ['an unknown file system type', policyWith({ 'targets.fileSystemTypes': ['NTFS'] }), 'targets.fileSystemTypes[0]', 'must be one of WINDOWS, LUSTRE, ONTAP, OPENZFS; got "NTFS"'],
    ['a file system type in lower case', policyWith({ 'targets.fileSystemTypes': ['ontap'] }), 'targets.fileSystemTypes[0]', 'must be one of WINDOWS, LUSTRE, ONTAP, OPENZFS'],
    ['an empty list of file system types', policyWith({ 'targets.fileSystemTypes': [] }), 'targets.fileSystemTypes', 'must list at least one entry (or be left out)'],
    ['a file system type listed twice', policyWith({ 'targets.fileSystemTypes': ['ONTAP', 'ONTAP'] }), 'targets.fileSystemTypes[1]', 'ONTAP is listed twice'],
    ['a misspelled targets field', policyWith({ 'targets.tag': { backup: 'daily' } }), 'targets.tag', 'unknown field "tag" (did you mean "tags"?)'],
    ['an unknown exclude field', policyWith({ 'targets.exclude': { types: ['LUSTRE'] } }), 'targets.exclude.types', 'unknown field "types"; allowed fields here: ids, tags'],
    ['a bad excluded id', policyWith({ 'targets.exclude': { ids: ['fs-nothex'] } }), 'targets.exclude.ids[0]', '"fs-nothex" is not a file system id'],
    [
      'a target both listed and excluded',
      policyWith({ 'targets.ids': ['fs-0123456789abcdef0'], 'targets.exclude': { ids: ['fs-0123456789abcdef0'] } }),
      'targets.exclude.ids[0]',
      'is both listed in targets.ids and excluded',
    ],
    ['an empty exclude block in YAML', policyWith({ 'targets.exclude': null }), 'targets.exclude', 'must be a map of fields, got null'],
    ['a backup tag named Name', policyWith({ backupTags: { Name: 'nightly' } }), 'backupTags.Name', 'tag key "Name" is reserved'],
    ['a backup tag in the fsx-backup: namespace', policyWith({ backupTags: { 'fsx-backup:policy': 'x' } }), 'backupTags["fsx-backup:policy"]', 'is reserved'],
    ['a backup tag in the FSX-BACKUP: namespace', policyWith({ backupTags: { 'FSX-BACKUP:owner': 'x' } }), 'backupTags["FSX-BACKUP:owner"]', 'is reserved'],
    ['a backup tag in the aws: namespace', policyWith({ backupTags: { 'aws:owner': 'x' } }), 'backupTags["aws:owner"]', 'uses the prefix "aws:", which AWS reserves'],
    ['a backup tag key of 129 characters', policyWith({ backupTags: { ['k'.repeat(129)]: 'v' } }), `backupTags.${'k'.repeat(129)}`, 'tag key must be at most 128 characters'],
    ['a backup tag value of 257 characters', policyWith({ backupTags: { team: 'v'.repeat(257) } }), 'backupTags.team', 'tag value must be at most 256 characters'],
    ['a backup tag value with a semicolon', policyWith({ backupTags: { team: 'a;b' } }), 'backupTags.team', 'may only contain letters'],
    ['a boolean backup tag value', policyWith({ backupTags: { keep: true } }), 'backupTags.keep', 'tag values must be text, got true'],
    [
      '46 backup tags',
      policyWith({ backupTags: Object.fromEntries(Array.from({ length: 46 }, (_, i) => [`k${i}`, 'v'])) }),
      'backupTags',
      'at most 45 tags (FSx allows 50 per backup and fsx-backup adds 5), got 46',
    ],
    ['a maxConcurrency of 0', policyWith({ maxConcurrency: 0 }), 'maxConcurrency', 'must be at least 1'],
    ['a maxConcurrency of 51', policyWith({ maxConcurrency: 51 }), 'maxConcurrency', 'must be at most 50'],
    ['a fractional maxConcurrency', policyWith({ maxConcurrency: 2.5 }), 'maxConcurrency', 'must be a whole number'],
  ];

  it('has a corpus of at least 30 bad policies', () => {
    expect(badPolicies.length).toBeGreaterThanOrEqual(30);
  });

  it.each(badPolicies)('rejects %s at its path with a message saying why', (_name, input, path, message) => {
    const errors = errorsOf(input);
    expect(errors).toContainEqual({ path, message: expect.stringContaining(message) });
  });
});

describe('example policies', () => {
  it('are at least three', () => {
    expect(exampleFiles.length).toBeGreaterThanOrEqual(3);
  });

  it.each(exampleFiles)('%s parses, and its policyId matches its file name', (file) => {
    const result = parsePolicy(parseYaml(readFileSync(`${examplesDir}${file}`, 'utf8')));
    if (!result.ok) throw new Error(formatPolicyErrors(result.errors));
    expect(`${result.policy.policyId}.yaml`).toBe(file);
  });

  it('name only targets that exist in the demo fleet they are run against', () => {
    const fleet = parseYaml(readFileSync(new URL('../../examples/fleets/demo.yaml', import.meta.url), 'utf8')) as {
      fileSystems?: { id: string }[];
      volumes?: { id: string }[];
    };
    const known = new Set([...(fleet.fileSystems ?? []), ...(fleet.volumes ?? [])].map((r) => r.id));
    for (const file of exampleFiles) {
      const result = parsePolicy(parseYaml(readFileSync(`${examplesDir}${file}`, 'utf8')));
      const ids = result.ok ? [...result.policy.targets.ids, ...result.policy.targets.exclude.ids] : [];
      for (const id of ids) expect(known, `${file} names ${id}`).toContain(id);
    }
  });

  it('include a disabled one', () => {
    const policies = exampleFiles.map((file) => parsePolicy(parseYaml(readFileSync(`${examplesDir}${file}`, 'utf8'))));
    expect(policies.some((p) => p.ok && !p.policy.enabled)).toBe(true);
  });
});

describe('formatPolicyErrors', () => {
  it('puts each error on its own line, led by its path', () => {
    expect(
      formatPolicyErrors([
        { path: 'schedule.timezone', message: '"Europe/Berln" is not an IANA time zone' },
        { path: '', message: 'must be a map of fields, got null' },
      ]),
    ).toBe('schedule.timezone: "Europe/Berln" is not an IANA time zone\nmust be a map of fields, got null');
  });
});

describe('formatPath', () => {
  it('writes dotted names, indexes in brackets and quotes keys that are not plain names', () => {
    expect(formatPath(['targets', 'ids', 1])).toBe('targets.ids[1]');
    expect(formatPath(['backupTags', 'fsx-backup:policy'])).toBe('backupTags["fsx-backup:policy"]');
    expect(formatPath([])).toBe('');
  });
});

describe('policy-schema.json', () => {
  it('is up to date with the zod schema (regenerate with npm run schema)', () => {
    const committed: unknown = JSON.parse(readFileSync(new URL('../../functions/shared/domain/policy-schema.json', import.meta.url), 'utf8'));
    expect(committed).toEqual(policyJsonSchema());
  });

  it('allows exactly the bookkeeping attributes besides the policy fields', () => {
    const schema = policyJsonSchema() as { properties: Record<string, unknown>; additionalProperties: unknown };
    expect(Object.keys(schema.properties)).toEqual(
      expect.arrayContaining(['policyId', 'schedule', 'targets', 'updatedAt', 'scheduleStatus', 'version']),
    );
    expect(schema.additionalProperties).toBe(false);
  });
});
