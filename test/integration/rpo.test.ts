// The RPO check against the sandbox: real runs record each target's last good backup, the real
// check-rpo handler measures it on the shared clock. Assertions read the RPO items in the runs
// table and the emulator's backups, and the metrics the check emits.
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Sandbox } from '../../local/sandbox.js';
import type { RpoTargetItem } from '../../functions/shared/store/runs.js';
import { parsePolicy } from '../../functions/shared/domain/policy.js';
import { rpoHoursOf } from '../../functions/check-rpo/check-rpo.js';
import { backupsOf, policy, runPolicy, sandbox, uniquePolicyId } from './helpers.js';

const HOUR = 3_600_000;
const HEALTHY = 'fs-0c0000000000000a1'; // WINDOWS, 12-minute backups
const FAILING = 'fs-0c0000000000000b3'; // every backup ends FAILED

let sb: Sandbox;
beforeAll(async () => {
  sb = await sandbox();
});
afterAll(async () => {
  await sb?.stop();
});
beforeEach(() => {
  sb.fsx.reset();
});
afterEach(() => {
  vi.restoreAllMocks();
});

const rpoStatus = (policyId: string) => sb.runner.deps.runs.getRpoStatus(policyId);
const rpoTargets = async (policyId: string) =>
  ((await sb.db.send(new QueryCommand({ TableName: sb.config.runsTable, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': `RPO#${policyId}` } }))).Items ?? []) as (RpoTargetItem & { sk: string })[];
const reported = (report: Awaited<ReturnType<Sandbox['checkRpo']>>, policyId: string) => report.policies.find((p) => p.policyId === policyId);

/** The per-policy metrics the check emits, as [policyId, metric, value]. */
function capturePolicyMetrics(): [string, string, number][] {
  const emitted: [string, string, number][] = [];
  const policyOf = new WeakMap<Metrics, string>();
  const addDimension = Metrics.prototype.addDimension;
  const addMetric = Metrics.prototype.addMetric;
  vi.spyOn(Metrics.prototype, 'addDimension').mockImplementation(function (this: Metrics, name, value) {
    if (name === 'policyId') policyOf.set(this, value);
    return addDimension.call(this, name, value);
  });
  vi.spyOn(Metrics.prototype, 'addMetric').mockImplementation(function (this: Metrics, name, unit, value) {
    emitted.push([policyOf.get(this) ?? '(all)', name, value]);
    return addMetric.call(this, name, unit, value);
  });
  return emitted;
}

describe('the RPO check', () => {
  it('finds a policy whose backups succeed within its RPO, from the good backup Check backups recorded', async () => {
    const id = uniquePolicyId('rpo-ok');
    const { run } = await runPolicy(sb, policy(id, { targets: { ids: [HEALTHY] }, rpoHours: 6 }));
    expect(run.status).toBe('SUCCEEDED');
    const [backup] = backupsOf(sb, id);

    const emitted = capturePolicyMetrics();
    const report = await sb.checkRpo();

    const [target] = await rpoTargets(id).then((items) => items.filter((i) => i.sk.startsWith('TARGET#')));
    expect(target).toMatchObject({ targetId: HEALTHY, lastGoodBackupId: backup?.BackupId, lastGoodBackupAt: backup?.CreationTime?.toISOString(), lastGoodScheduledTime: run.scheduledTime });
    const status = await rpoStatus(id);
    expect(status).toMatchObject({ status: 'WITHIN_RPO', rpoHours: 6, runScheduledTime: run.scheduledTime, targetCount: 1, targetsOverRpo: 0, targetsWithoutGoodBackup: 0, oldestGoodBackupTargetId: HEALTHY, overRpo: [] });
    expect(status?.oldestGoodBackupAgeHours).toBeLessThan(1);
    expect(reported(report, id)).toMatchObject({ status: 'WITHIN_RPO', targets: 1, targetsOverRpo: 0 });
    expect(emitted).toContainEqual([id, 'TargetsOverRpo', 0]);
    expect(emitted.find(([p, m]) => p === id && m === 'OldestGoodBackupAgeHours')?.[2]).toBe(status?.oldestGoodBackupAgeHours);
  });

  it('puts a target over RPO once rpoHours pass without a new good backup, and back within it after the next run', async () => {
    const id = uniquePolicyId('rpo-late');
    await runPolicy(sb, policy(id, { targets: { ids: [HEALTHY] }, rpoHours: 6 }));
    const [first] = backupsOf(sb, id);

    sb.clock.advance(7 * HOUR);
    const emitted = capturePolicyMetrics();
    const report = await sb.checkRpo();

    const status = await rpoStatus(id);
    expect(status).toMatchObject({ status: 'OVER_RPO', targetsOverRpo: 1 });
    expect(status?.overRpo).toHaveLength(1);
    expect(status?.overRpo[0]).toMatchObject({ targetId: HEALTHY, lastGoodBackupId: first?.BackupId });
    expect(status?.overRpo[0]?.ageHours).toBeGreaterThan(6);
    expect(status?.overRpo[0]?.reason).toMatch(/more than the RPO of 6 h/);
    expect(reported(report, id)).toMatchObject({ status: 'OVER_RPO', targetsOverRpo: 1 });
    expect(report.targetsOverRpo).toBeGreaterThanOrEqual(1);
    expect(emitted).toContainEqual([id, 'TargetsOverRpo', 1]);
    // The stack-wide total the alarm watches, without the policy dimension.
    expect(emitted).toContainEqual(['(all)', 'TargetsOverRpo', report.targetsOverRpo]);

    await runPolicy(sb, policy(id, { targets: { ids: [HEALTHY] }, rpoHours: 6 }));
    await sb.checkRpo();
    const [target] = (await rpoTargets(id)).filter((i) => i.sk.startsWith('TARGET#'));
    expect(target?.lastGoodBackupId).not.toBe(first?.BackupId);
    expect(backupsOf(sb, id).map((b) => b.BackupId)).toContain(target?.lastGoodBackupId);
    expect(await rpoStatus(id)).toMatchObject({ status: 'WITHIN_RPO', targetsOverRpo: 0 });
  });

  it('counts a target that never had a good backup as over RPO once its first run is older than rpoHours', async () => {
    const id = uniquePolicyId('rpo-fails');
    const { run } = await runPolicy(sb, policy(id, { targets: { ids: [HEALTHY, FAILING] }, rpoHours: 2 }));
    expect(run.status).toBe('PARTIAL');

    await sb.checkRpo();
    expect(await rpoStatus(id)).toMatchObject({ status: 'WITHIN_RPO', targetCount: 2, targetsWithoutGoodBackup: 1, targetsOverRpo: 0 });
    const noted = (await rpoTargets(id)).find((i) => i.targetId === FAILING);
    expect(noted).toMatchObject({ firstSeenAt: run.scheduledTime });
    expect(noted?.lastGoodBackupAt).toBeUndefined();

    // A second run at a later slot fails again; the clock keeps counting from the first.
    sb.clock.advance(HOUR);
    const second = await runPolicy(sb, policy(id, { targets: { ids: [HEALTHY, FAILING] }, rpoHours: 2 }));
    expect(second.byId[FAILING]?.status).toBe('FAILED');
    sb.clock.advance(HOUR);
    await sb.checkRpo();

    const status = await rpoStatus(id);
    expect(status).toMatchObject({ status: 'OVER_RPO', runScheduledTime: second.slot, targetsOverRpo: 1, targetsWithoutGoodBackup: 1 });
    expect(status?.overRpo.map((p) => p.targetId)).toEqual([FAILING]);
    expect(status?.overRpo[0]).toMatchObject({ firstSeenAt: run.scheduledTime });
    expect(status?.overRpo[0]?.reason).toMatch(/no good backup since its first run/);
    expect(status?.overRpo[0]?.reason).toMatch(/the file system is being updated/);
    expect((await rpoTargets(id)).find((i) => i.targetId === FAILING)?.firstSeenAt).toBe(run.scheduledTime);
  });

  it('ignores a policy without rpoHours', async () => {
    const id = uniquePolicyId('rpo-none');
    await runPolicy(sb, policy(id, { targets: { ids: [FAILING] } }));
    sb.clock.advance(48 * HOUR);

    const report = await sb.checkRpo();

    expect(reported(report, id)).toBeUndefined();
    expect(await rpoStatus(id)).toBeUndefined();
    expect((await rpoTargets(id)).filter((i) => i.targetId === FAILING && i.firstSeenAt)).toEqual([]);
  });

  it('ignores a disabled policy, and drops the status it had while enabled', async () => {
    const id = uniquePolicyId('rpo-disabled');
    await runPolicy(sb, policy(id, { targets: { ids: [FAILING] }, rpoHours: 1 }));
    sb.clock.advance(2 * HOUR);
    await sb.checkRpo();
    expect(await rpoStatus(id)).toMatchObject({ status: 'OVER_RPO' });

    await sb.putPolicy(policy(id, { targets: { ids: [FAILING] }, rpoHours: 1, enabled: false }));
    const report = await sb.checkRpo();

    expect(reported(report, id)).toBeUndefined();
    expect(await rpoStatus(id)).toBeUndefined();
  });

  it('reports a policy whose runs never recorded targets as NO_RUNS, with nothing over RPO', async () => {
    const id = uniquePolicyId('rpo-new');
    await sb.putPolicy(policy(id, { targets: { ids: [HEALTHY] }, rpoHours: 1 }));

    const report = await sb.checkRpo();

    expect(reported(report, id)).toMatchObject({ status: 'NO_RUNS', targets: 0, targetsOverRpo: 0 });
    expect(await rpoStatus(id)).toMatchObject({ status: 'NO_RUNS', targetCount: 0, overRpo: [] });
  });
});

describe('rpoHours in a policy', () => {
  const withRpo = (rpoHours: unknown) => policy('rpo-field', { targets: { ids: [HEALTHY] }, rpoHours });

  it('accepts hours from 1 to 8760, fractions included, and leaves the check off when absent', () => {
    for (const hours of [1, 26, 1.5, 8760]) expect(parsePolicy(withRpo(hours))).toMatchObject({ ok: true, policy: { rpoHours: hours } });
    const absent = parsePolicy(policy('rpo-field', { targets: { ids: [HEALTHY] } }));
    expect(absent.ok && absent.policy.rpoHours).toBeUndefined();
  });

  it.each([
    [0.5, 'must be at least 1'],
    [9000, 'must be at most 8760'],
    ['26', 'must be a number, got "26"'],
  ])('refuses rpoHours %j: %s', (hours, message) => {
    expect(parsePolicy(withRpo(hours))).toEqual({ ok: false, errors: [{ path: 'rpoHours', message }] });
  });

  it('is what the check measures against: not for a disabled policy, still for one that stopped validating', () => {
    expect(rpoHoursOf(withRpo(26))).toBe(26);
    expect(rpoHoursOf({ ...withRpo(26), enabled: false })).toBeUndefined();
    expect(rpoHoursOf({ ...withRpo(26), schedule: { expression: 'cron(bad)' } })).toBe(26);
    expect(rpoHoursOf({ ...withRpo(0), schedule: { expression: 'cron(bad)' } })).toBeUndefined();
    expect(rpoHoursOf(undefined)).toBeUndefined();
  });
});
