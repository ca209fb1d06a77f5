// The backup run end to end: the deployed ASL in aws-local-stepfunctions, the real handlers,
// the FSx emulator and DynamoDB Local. Assertions read the emulator's backups and the tables.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../local/sandbox.js';
import { deriveBackupToken } from '../../functions/shared/domain/tokens.js';
import { startRun } from '../../functions/start-run/start-run.js';
import { startBackups } from '../../functions/start-backups/start-backups.js';
import { backupsOf, policy, resourceOf, runPolicy, sandbox, uniquePolicyId } from './helpers.js';

let sb: Sandbox;
beforeAll(async () => {
  sb = await sandbox();
});
afterAll(async () => {
  await sb?.stop();
});
beforeEach(() => {
  // A fresh fleet per test: busy windows start now, faults and backups are cleared.
  sb.fsx.reset();
});

describe('a scheduled run', () => {
  it.each([
    ['WINDOWS', 'fs-0c0000000000000a1'],
    ['LUSTRE', 'fs-0c0000000000000a2'],
    ['OPENZFS', 'fs-0c0000000000000a3'],
  ])('backs up a %s file system once and records it SUCCEEDED', async (type, fsId) => {
    const id = uniquePolicyId(`one-${type.toLowerCase()}`);
    const { outcome, run, byId, slot } = await runPolicy(sb, policy(id, { targets: { ids: [fsId] }, backupTags: { team: 'storage' } }));

    expect(outcome.status).toBe('SUCCEEDED');
    expect(run.status).toBe('SUCCEEDED');
    expect(run.counts?.SUCCEEDED).toBe(1);
    const backups = backupsOf(sb, id);
    expect(backups).toHaveLength(1);
    const backup = backups[0]!;
    expect(backup.FileSystem?.FileSystemId).toBe(fsId);
    expect(backup.FileSystem?.FileSystemType).toBe(type);
    expect(backup.Lifecycle).toBe('AVAILABLE');
    const tags = Object.fromEntries((backup.Tags ?? []).map((t) => [t.Key, t.Value]));
    expect(tags).toMatchObject({ team: 'storage', 'fsx-backup:policy': id, 'fsx-backup:managed-by': 'fsx-backup-local' });
    expect(tags['Name']).toContain(id);
    expect(byId[fsId]).toMatchObject({ status: 'SUCCEEDED', backupId: backup.BackupId, lifecycle: 'AVAILABLE', resourceType: 'FILE_SYSTEM' });
    expect(byId[fsId]?.durationSeconds).toBeGreaterThan(0);
    expect(run.startLagSeconds).toBe(Math.round((Date.parse(run.firstBackupStartedAt!) - Date.parse(slot)) / 1000));
    expect(run.startLagSeconds).toBeLessThan(60);
    expect(Date.parse(run.finishedAt!)).toBeGreaterThan(Date.parse(slot));
  });

  it('backs up ONTAP volumes with VolumeId, and an ONTAP file-system id means its RW volumes', async () => {
    const id = uniquePolicyId('ontap');
    const { run, byId } = await runPolicy(sb, policy(id, { targets: { ids: ['fs-0c0000000000000a4'] } }));

    expect(run.status).toBe('SUCCEEDED');
    expect(Object.keys(byId).sort()).toEqual(['fsvol-0c000000000000a41', 'fsvol-0c000000000000a42']);
    const backups = backupsOf(sb, id);
    expect(backups.map((b) => b.Volume?.VolumeId).sort()).toEqual(['fsvol-0c000000000000a41', 'fsvol-0c000000000000a42']);
    expect(backups.every((b) => b.ResourceType === 'VOLUME')).toBe(true);
    expect(byId['fsvol-0c000000000000a41']?.resourceType).toBe('VOLUME');
  });

  it('skips an explicitly named DP volume with the reason, and backs up nothing for it', async () => {
    const id = uniquePolicyId('ontap-dp');
    const { run, byId } = await runPolicy(sb, policy(id, { targets: { ids: ['fsvol-0c000000000000a43'] } }));

    expect(byId['fsvol-0c000000000000a43']).toMatchObject({ status: 'SKIPPED' });
    expect(byId['fsvol-0c000000000000a43']?.reason).toMatch(/only RW volumes/);
    expect(run.status).toBe('FAILED');
    expect(backupsOf(sb, id)).toHaveLength(0);
  });

  it('selects by tags across types, applies the type filter and the exclusions', async () => {
    const id = uniquePolicyId('tags');
    const { byId } = await runPolicy(
      sb,
      policy(id, { targets: { tags: { tier: 'gold' }, fileSystemTypes: ['WINDOWS', 'OPENZFS', 'LUSTRE'], exclude: { tags: { app: 'ci' } } } }),
    );
    // gold: a1 (WINDOWS), a2 (LUSTRE), a3 (OPENZFS, excluded by app=ci), b5 (scratch LUSTRE, skipped).
    expect(Object.keys(byId).sort()).toEqual(['fs-0c0000000000000a1', 'fs-0c0000000000000a2', 'fs-0c0000000000000b5']);
    expect(byId['fs-0c0000000000000b5']).toMatchObject({ status: 'SKIPPED' });
    expect(byId['fs-0c0000000000000b5']?.reason).toMatch(/SCRATCH_2/);
    expect(backupsOf(sb, id).map(resourceOf).sort()).toEqual(['fs-0c0000000000000a1', 'fs-0c0000000000000a2']);

    const id2 = uniquePolicyId('tags-ontap');
    const second = await runPolicy(sb, policy(id2, { targets: { tags: { tier: 'silver' }, exclude: { ids: ['fsvol-0c000000000000a42'] } } }));
    expect(Object.keys(second.byId)).toEqual(['fsvol-0c000000000000a41']);
  });

  it('keeps a busy target pending and backs it up once the other backup ends', async () => {
    const id = uniquePolicyId('busy-short');
    const { run, byId } = await runPolicy(sb, policy(id, { targets: { ids: ['fs-0c0000000000000b1'] } }));

    const target = byId['fs-0c0000000000000b1']!;
    expect(target.status).toBe('SUCCEEDED');
    expect(target.attempts).toBeGreaterThan(1);
    expect(run.status).toBe('SUCCEEDED');
    // The busy window was 25 minutes: the first successful CreateBackup came after it.
    expect(run.startLagSeconds).toBeGreaterThanOrEqual(25 * 60);
    expect(backupsOf(sb, id)).toHaveLength(1);
  });

  it('skips a target that stays busy for the whole start window, with the reason', async () => {
    const id = uniquePolicyId('busy-long');
    const { run, byId } = await runPolicy(sb, policy(id, { targets: { ids: ['fs-0c0000000000000b2', 'fs-0c0000000000000a3'] } }));

    expect(byId['fs-0c0000000000000b2']).toMatchObject({ status: 'SKIPPED' });
    expect(byId['fs-0c0000000000000b2']?.reason).toMatch(/busy with another backup for the whole 60-minute start window/);
    expect(byId['fs-0c0000000000000b2']?.lastError?.name).toBe('BackupInProgress');
    expect(byId['fs-0c0000000000000a3']?.status).toBe('SUCCEEDED');
    expect(run.status).toBe('PARTIAL');
    expect(backupsOf(sb, id).map(resourceOf)).toEqual(['fs-0c0000000000000a3']);
  });

  it('records a backup that FSx ends FAILED with its FailureDetails message, and the others go on', async () => {
    const id = uniquePolicyId('fails');
    const { run, byId } = await runPolicy(sb, policy(id, { targets: { ids: ['fs-0c0000000000000b3', 'fs-0c0000000000000a1'] } }));

    expect(byId['fs-0c0000000000000b3']).toMatchObject({ status: 'FAILED', lifecycle: 'FAILED', reason: 'Backup failed: the file system is being updated.' });
    expect(byId['fs-0c0000000000000a1']?.status).toBe('SUCCEEDED');
    expect(run.status).toBe('PARTIAL');
    expect(run.counts).toMatchObject({ SUCCEEDED: 1, FAILED: 1 });
  });

  it('times a backup out when it is still running at the end of the completion window', async () => {
    const id = uniquePolicyId('slow');
    const before = sb.clock.now().getTime();
    const { run, byId, slot } = await runPolicy(
      sb,
      policy(id, { targets: { ids: ['fs-0c0000000000000b4'] }, schedule: { expression: 'rate(1 day)', startWindowMinutes: 30, completionWindowMinutes: 120 } }),
    );

    expect(byId['fs-0c0000000000000b4']).toMatchObject({ status: 'TIMED_OUT', lifecycle: 'CREATING' });
    expect(byId['fs-0c0000000000000b4']?.reason).toMatch(/120-minute completion window/);
    expect(run.status).toBe('FAILED');
    // It stopped waiting at the deadline, not hours later.
    const finished = Date.parse(run.finishedAt!);
    expect(finished).toBeGreaterThanOrEqual(Date.parse(slot) + 120 * 60_000);
    expect(finished).toBeLessThan(Date.parse(slot) + 125 * 60_000);
    expect(sb.clock.now().getTime() - before).toBeLessThan(3 * 3600_000);
  });

  it('fails a missing file system with FSx error name while the other targets go on', async () => {
    const id = uniquePolicyId('missing');
    const { run, byId } = await runPolicy(sb, policy(id, { targets: { ids: ['fs-0c0000000000000ff', 'fsvol-0c00000000000ffff', 'fs-0c0000000000000a3'] } }));

    expect(byId['fs-0c0000000000000ff']).toMatchObject({ status: 'FAILED', lastError: { name: 'FileSystemNotFound' } });
    expect(byId['fsvol-0c00000000000ffff']).toMatchObject({ status: 'FAILED', lastError: { name: 'VolumeNotFound' } });
    expect(byId['fs-0c0000000000000a3']?.status).toBe('SUCCEEDED');
    expect(run.status).toBe('PARTIAL');
  });

  it('fails a file system that FSx refuses at CreateBackup (not AVAILABLE) with BadRequest', async () => {
    sb.fsx.setLifecycle('fs-0c0000000000000a1', 'MISCONFIGURED');
    const id = uniquePolicyId('refused');
    const { byId } = await runPolicy(sb, policy(id, { targets: { ids: ['fs-0c0000000000000a1'] } }));

    expect(byId['fs-0c0000000000000a1']).toMatchObject({ status: 'FAILED', lastError: { name: 'BadRequest' } });
    expect(backupsOf(sb, id)).toHaveLength(0);
  });

  it('a manual run without scheduledTime backs up for the minute the execution started', async () => {
    const id = uniquePolicyId('manual');
    await sb.putPolicy(policy(id, { targets: { ids: ['fs-0c0000000000000a3'] } }));
    sb.clock.advance(17_000);
    const startedAt = sb.clock.now();
    const outcome = await sb.runner.execute({ policyId: id, trigger: 'manual' });

    const minute = new Date(Math.floor(startedAt.getTime() / 60_000) * 60_000).toISOString().replace('.000Z', 'Z');
    expect(outcome.output).toMatchObject({ policyId: id, scheduledTime: minute, status: 'SUCCEEDED' });
    const [run] = await sb.runner.deps.runs.listRuns(id);
    expect(run).toMatchObject({ scheduledTime: minute, trigger: 'manual', status: 'SUCCEEDED' });
    expect(backupsOf(sb, id)).toHaveLength(1);
  });

  it('a scheduled run without scheduledTime fails at once and records nothing', async () => {
    const id = uniquePolicyId('no-slot');
    await sb.putPolicy(policy(id, { targets: { ids: ['fs-0c0000000000000a3'] } }));
    const outcome = await sb.runner.execute({ policyId: id, trigger: 'schedule' });

    expect(outcome.status).toBe('SUCCEEDED');
    expect(outcome.output).toMatchObject({ status: 'FAILED' });
    expect((outcome.output as { reason: string }).reason).toMatch(/InvalidTaskInputError.*scheduledTime: required unless trigger is "manual"/);
    expect(await sb.runner.deps.runs.listRuns(id)).toHaveLength(0);
    expect(backupsOf(sb, id)).toHaveLength(0);
  });

  it('ends NO_TARGETS when the selector matches nothing', async () => {
    const id = uniquePolicyId('nothing');
    const { outcome, run } = await runPolicy(sb, policy(id, { targets: { tags: { tier: 'platinum' } } }));
    expect(outcome.status).toBe('SUCCEEDED');
    expect(run.status).toBe('NO_TARGETS');
  });
});

describe('a start batch near the function timeout', () => {
  it('leaves the targets it has no time for PENDING for the next pass, and starts them then', async () => {
    const id = uniquePolicyId('deadline');
    await sb.putPolicy(policy(id, { targets: { ids: ['fs-0c0000000000000a1', 'fs-0c0000000000000a3'] } }));
    const slot = '2026-12-07T02:00:00Z';
    const started = await startRun({ policyId: id, scheduledTime: slot, trigger: 'schedule', executionId: 'exec-deadline' }, sb.runner.deps);
    expect(started.run).toEqual({ outcome: 'STARTED', targets: 2 });
    const before = sb.fsx.calls.CreateBackup ?? 0;

    const late = await startBackups({ policyId: id, scheduledTime: slot, trigger: 'schedule' }, sb.runner.deps, () => 30_000);
    expect(late).toMatchObject({ pending: 2, inFlight: 0 });
    expect(sb.fsx.calls.CreateBackup ?? 0).toBe(before);
    expect((await sb.runner.deps.runs.allTargets(id, slot)).map((t) => t.status)).toEqual(['PENDING', 'PENDING']);

    const next = await startBackups({ policyId: id, scheduledTime: slot, trigger: 'schedule' }, sb.runner.deps, () => 600_000);
    expect(next).toMatchObject({ pending: 0, inFlight: 2 });
    expect(backupsOf(sb, id)).toHaveLength(2);
  });
});

describe('a policy that cannot run', () => {
  it('ends FAILED with every validation message in the run record, and backs up nothing', async () => {
    const id = uniquePolicyId('invalid');
    const { outcome, run, targets } = await runPolicy(
      sb,
      policy(id, { schedule: { expression: 'cron(0 2 * * *)', timezone: 'Europe/Berln' }, targets: { ids: ['fs-0c0000000000000a1'] } }),
    );

    expect(outcome.status).toBe('SUCCEEDED');
    expect(run.status).toBe('FAILED');
    expect(run.errors?.map((e) => e.path).sort()).toEqual(['schedule.expression', 'schedule.timezone']);
    expect(run.reportedAt).toBeDefined();
    expect(run.reason).toMatch(/Europe\/Berln/);
    expect(targets).toHaveLength(0);
    expect(backupsOf(sb, id)).toHaveLength(0);
  });

  it('ends POLICY_DISABLED for a disabled policy', async () => {
    const id = uniquePolicyId('disabled');
    const { run } = await runPolicy(sb, policy(id, { enabled: false, targets: { ids: ['fs-0c0000000000000a1'] } }));
    expect(run.status).toBe('POLICY_DISABLED');
    expect(run.reason).toMatch(/disabled/);
    // Reported (metrics, log lines) like any other finished run, so dashboards and alarms see it.
    expect(run.reportedAt).toBeDefined();
    expect(backupsOf(sb, id)).toHaveLength(0);
  });

  it('ends POLICY_NOT_FOUND for a policy that was deleted', async () => {
    const id = uniquePolicyId('deleted');
    const outcome = await sb.runner.execute({ policyId: id, scheduledTime: '2026-12-04T05:00:00Z', trigger: 'schedule' });
    const run = await sb.runner.deps.runs.getRun(id, '2026-12-04T05:00:00Z');
    expect(outcome.status).toBe('SUCCEEDED');
    expect(run?.status).toBe('POLICY_NOT_FOUND');
  });
});

describe('exactly once per slot', () => {
  it('a second delivery of a slot, later, changes nothing', async () => {
    const id = uniquePolicyId('dup-seq');
    const p = policy(id, { targets: { ids: ['fs-0c0000000000000a1', 'fs-0c0000000000000a3'] } });
    const first = await runPolicy(sb, p);
    const again = await sb.runner.execute({ policyId: id, scheduledTime: first.slot, trigger: 'schedule' });

    expect(again.status).toBe('SUCCEEDED');
    expect(again.stats.statesEntered['Duplicate delivery']).toBe(1);
    expect(again.stats.statesEntered['Start backups']).toBeUndefined();
    expect(backupsOf(sb, id)).toHaveLength(2);
    expect(await sb.runner.deps.runs.listRuns(id)).toHaveLength(1);
    const run = await sb.runner.deps.runs.getRun(id, first.slot);
    expect(run?.executionId).toBe(first.outcome.executionId);
  });

  it('concurrent deliveries of a slot make one run and one backup per target', async () => {
    const id = uniquePolicyId('dup-conc');
    await sb.putPolicy(policy(id, { targets: { ids: ['fs-0c0000000000000a1', 'fs-0c0000000000000a3', 'fsvol-0c000000000000a41'] } }));
    const slot = '2026-12-05T02:00:00Z';
    const outcomes = await Promise.all([1, 2, 3].map(() => sb.runner.execute({ policyId: id, scheduledTime: slot, trigger: 'schedule' })));

    expect(outcomes.every((o) => o.status === 'SUCCEEDED')).toBe(true);
    expect(outcomes.filter((o) => o.stats.statesEntered['Duplicate delivery'] === 1)).toHaveLength(2);
    expect(await sb.runner.deps.runs.listRuns(id)).toHaveLength(1);
    expect(backupsOf(sb, id).map(resourceOf).sort()).toEqual(['fs-0c0000000000000a1', 'fs-0c0000000000000a3', 'fsvol-0c000000000000a41']);
    expect((await sb.runner.deps.runs.getRun(id, slot))?.status).toBe('SUCCEEDED');
  });

  it('passes the slot-derived token to FSx, so the backup is the one the token names', async () => {
    const id = uniquePolicyId('token');
    const { slot } = await runPolicy(sb, policy(id, { targets: { ids: ['fs-0c0000000000000a3'] } }));
    const token = deriveBackupToken({ policyId: id, targetId: 'fs-0c0000000000000a3', scheduledTime: slot });
    // Repeating the exact call FSx saw returns the same backup: the token and tags were deterministic.
    const { CreateBackupCommand } = await import('@aws-sdk/client-fsx');
    const { deriveBackupTags } = await import('../../functions/shared/domain/tokens.js');
    const again = await sb.runner.deps.fsx.send(
      new CreateBackupCommand({
        FileSystemId: 'fs-0c0000000000000a3',
        ClientRequestToken: token,
        Tags: deriveBackupTags({ policyId: id, targetId: 'fs-0c0000000000000a3', scheduledTime: slot, backupTags: {}, stackName: 'fsx-backup-local' }),
      }),
    );
    expect(again.Backup?.BackupId).toBe(backupsOf(sb, id)[0]?.BackupId);
    expect(backupsOf(sb, id)).toHaveLength(1);
  });
});
