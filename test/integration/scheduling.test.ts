// Schedules that run unattended: the policies stream drives the real sync handler against the
// Scheduler emulator; schedules fire on the shared clock into the backup-run workflow.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateScheduleCommand, DeleteScheduleCommand, GetScheduleCommand, UpdateScheduleCommand, ValidationException } from '@aws-sdk/client-scheduler';
import type { Sandbox } from '../../local/sandbox.js';
import type { ScheduleStatus } from '../../functions/shared/store/policies.js';
import { syncSchedules } from '../../functions/sync-schedules/sync-schedules.js';
import { backupsOf, policy, sandbox, uniquePolicyId } from './helpers.js';

let sb: Sandbox;
beforeAll(async () => {
  sb = await sandbox({ start: '2026-10-20T12:00:00Z' });
});
afterAll(async () => {
  await sb?.stop();
});

const group = () => sb.scheduling.target.groupName;
const scheduleOf = (name: string) => sb.scheduler.schedules().find((s) => s.Name === name && s.GroupName === group());
const statusOf = async (policyId: string) => (await sb.scheduling.policies.getPolicyItem(policyId))?.scheduleStatus as ScheduleStatus | undefined;
const daily = (id: string, extra: Record<string, unknown> = {}) =>
  policy(id, { schedule: { expression: 'cron(0 2 * * ? *)', timezone: 'Europe/Berlin' }, targets: { ids: ['fs-0c0000000000000a3'] }, ...extra });

describe('schedule sync', () => {
  it('creates one schedule for a new policy and writes its status back on the policy item', async () => {
    const id = uniquePolicyId('sync-new');
    await sb.putPolicy(daily(id));
    await sb.syncSchedules();

    const s = scheduleOf(id);
    expect(s).toMatchObject({
      ScheduleExpression: 'cron(0 2 * * ? *)',
      ScheduleExpressionTimezone: 'Europe/Berlin',
      State: 'ENABLED',
      FlexibleTimeWindow: { Mode: 'OFF' },
    });
    expect(s?.Target?.Arn).toBe(sb.stateMachineArn);
    expect(JSON.parse(s?.Target?.Input ?? '{}')).toEqual({ policyId: id, scheduledTime: '<aws.scheduler.scheduled-time>', trigger: 'schedule' });
    expect(s?.Target?.RetryPolicy).toEqual({ MaximumEventAgeInSeconds: 3600, MaximumRetryAttempts: 185 });
    expect(s?.Target?.DeadLetterConfig?.Arn).toBe(sb.scheduling.target.deadLetterArn);

    const status = await statusOf(id);
    expect(status).toMatchObject({ state: 'IN_SYNC', scheduleState: 'ENABLED', scheduleArn: s?.Arn, timezone: 'Europe/Berlin' });
    // 2026-10-20 12:00Z: the next 02:00 Berlin times. On the 25th 02:00 happens twice (clocks go
    // back from 03:00 CEST to 02:00 CET); the schedule fires once, at the first.
    expect(status?.nextFireTimes).toEqual([
      { utc: '2026-10-21T00:00:00Z', local: '2026-10-21 02:00 CEST' },
      { utc: '2026-10-22T00:00:00Z', local: '2026-10-22 02:00 CEST' },
      { utc: '2026-10-23T00:00:00Z', local: '2026-10-23 02:00 CEST' },
      { utc: '2026-10-24T00:00:00Z', local: '2026-10-24 02:00 CEST' },
      { utc: '2026-10-25T00:00:00Z', local: '2026-10-25 02:00 CEST' },
    ]);
  });

  it('updates the schedule when the policy changes, and asks for a flexible window only when the policy does', async () => {
    const id = uniquePolicyId('sync-update');
    await sb.putPolicy(daily(id));
    await sb.syncSchedules();
    await sb.putPolicy(daily(id, { schedule: { expression: 'cron(30 19 ? * MON-FRI *)', timezone: 'America/New_York', startWindowMinutes: 30, flexibleWindowMinutes: 10 } }));
    await sb.syncSchedules();

    expect(scheduleOf(id)).toMatchObject({
      ScheduleExpression: 'cron(30 19 ? * MON-FRI *)',
      ScheduleExpressionTimezone: 'America/New_York',
      FlexibleTimeWindow: { Mode: 'FLEXIBLE', MaximumWindowInMinutes: 10 },
    });
    expect(scheduleOf(id)?.Target?.RetryPolicy?.MaximumEventAgeInSeconds).toBe(1800);
    const status = await statusOf(id);
    expect(status?.expression).toBe('cron(30 19 ? * MON-FRI *)');
    expect(status?.nextFireTimes?.[0]).toEqual({ utc: '2026-10-20T23:30:00Z', local: '2026-10-20 19:30 EDT' });
  });

  it('disables the schedule with the policy and enables it again', async () => {
    const id = uniquePolicyId('sync-toggle');
    await sb.putPolicy(daily(id));
    await sb.syncSchedules();
    await sb.putPolicy(daily(id, { enabled: false }));
    await sb.syncSchedules();
    expect(scheduleOf(id)?.State).toBe('DISABLED');
    expect(await statusOf(id)).toMatchObject({ state: 'DISABLED', scheduleState: 'DISABLED', nextFireTimes: [] });

    await sb.putPolicy(daily(id, { enabled: true }));
    await sb.syncSchedules();
    expect(scheduleOf(id)?.State).toBe('ENABLED');
    expect((await statusOf(id))?.state).toBe('IN_SYNC');
  });

  it('deletes the schedule with the policy', async () => {
    const id = uniquePolicyId('sync-delete');
    await sb.putPolicy(daily(id));
    await sb.syncSchedules();
    expect(scheduleOf(id)).toBeDefined();
    await sb.deletePolicy(id);
    await sb.syncSchedules();
    expect(scheduleOf(id)).toBeUndefined();
  });

  it('gives an invalid policy no schedule and says why on the item', async () => {
    const id = uniquePolicyId('sync-invalid');
    await sb.putPolicy(daily(id, { schedule: { expression: 'cron(0 2 * * *)', timezone: 'Europe/Berlin' } }));
    await sb.syncSchedules();

    expect(scheduleOf(id)).toBeUndefined();
    const status = await statusOf(id);
    expect(status).toMatchObject({ state: 'INVALID', scheduleState: 'ABSENT' });
    expect(status?.errors?.[0]?.path).toBe('schedule.expression');
    expect(status?.reason).toMatch(/not scheduled.*schedule\.expression: cron needs 6 fields/);
  });

  it('leaves the schedule of a policy that became invalid disabled, not running on stale settings', async () => {
    const id = uniquePolicyId('sync-broken');
    await sb.putPolicy(daily(id));
    await sb.syncSchedules();
    await sb.putPolicy(daily(id, { schedule: { expression: 'cron(0 2 * * ? *)', timezone: 'Mars/Olympus' } }));
    await sb.syncSchedules();

    expect(scheduleOf(id)).toMatchObject({ State: 'DISABLED', ScheduleExpressionTimezone: 'Europe/Berlin' });
    const status = await statusOf(id);
    expect(status).toMatchObject({ state: 'INVALID', scheduleState: 'DISABLED' });
    expect(status?.reason).toMatch(/its schedule is disabled.*Mars\/Olympus/);
  });

  it('disables the running schedule when the service refuses an update, and says why', async () => {
    const id = uniquePolicyId('sync-refused');
    await sb.putPolicy(daily(id));
    await sb.syncSchedules();
    const name = `refuse-${id}`;
    sb.scheduling.scheduler.middlewareStack.add(
      (next) => async (args) => {
        const input = args.input as { Name?: string; State?: string };
        if (input.Name === id && input.State === 'ENABLED') {
          throw new ValidationException({ message: 'Invalid request: the target is not supported in this Region.', Message: 'Invalid request: the target is not supported in this Region.', $metadata: {} });
        }
        return next(args);
      },
      { step: 'initialize', name },
    );
    try {
      await sb.putPolicy(daily(id, { schedule: { expression: 'cron(0 3 * * ? *)', timezone: 'Europe/Berlin' } }));
      await sb.syncSchedules();
    } finally {
      sb.scheduling.scheduler.middlewareStack.remove(name);
    }
    expect(scheduleOf(id)).toMatchObject({ State: 'DISABLED', ScheduleExpression: 'cron(0 2 * * ? *)' });
    expect(await statusOf(id)).toMatchObject({
      state: 'ERROR',
      scheduleState: 'DISABLED',
      reason: expect.stringMatching(/rejected the schedule \(the previous one is disabled\): ValidationException: Invalid request/),
    });
    await sb.deletePolicy(id);
    await sb.syncSchedules();
  });

  it('writing the status back does not start another sync', async () => {
    const id = uniquePolicyId('sync-echo');
    await sb.putPolicy(daily(id));
    await sb.syncSchedules();
    const before = { ...sb.scheduler.calls };
    // The status write produced a MODIFY record; delivering it must not touch Scheduler.
    await sb.syncSchedules();
    expect(sb.scheduler.calls).toEqual(before);
  });

  it('puts the status back when an operator rewrites the item without it', async () => {
    const id = uniquePolicyId('sync-rewrite');
    await sb.putPolicy(daily(id));
    await sb.syncSchedules();
    expect((await statusOf(id))?.state).toBe('IN_SYNC');
    await sb.putPolicy(daily(id));
    await sb.syncSchedules();
    expect((await statusOf(id))?.state).toBe('IN_SYNC');
  });

  it('replayed and out-of-order records converge on the policy as it is now', async () => {
    const id = uniquePolicyId('sync-replay');
    await sb.putPolicy(daily(id));
    await sb.syncSchedules();
    await sb.deletePolicy(id);
    await sb.syncSchedules();
    // An old INSERT record arrives again after the REMOVE: the schedule must stay deleted.
    const replay = await syncSchedules(
      [{ eventName: 'INSERT', dynamodb: { Keys: { policyId: { S: id } }, NewImage: { policyId: { S: id } }, SequenceNumber: '1' } }],
      sb.scheduling,
    );
    expect(replay.batchItemFailures).toEqual([]);
    expect(scheduleOf(id)).toBeUndefined();
  });

  it('reports only the policy that failed to sync as a batch item failure; the others are synced', async () => {
    const ok = uniquePolicyId('sync-ok');
    const bad = uniquePolicyId('sync-bad');
    const name = `throttle-${bad}`;
    sb.scheduling.scheduler.middlewareStack.add(
      (next) => async (args) => {
        if ((args.input as { Name?: string }).Name === bad) {
          const e = new Error('Rate exceeded');
          e.name = 'ThrottlingException';
          throw e;
        }
        return next(args);
      },
      { step: 'initialize', name },
    );
    try {
      const result = await syncSchedules(
        [
          { eventName: 'INSERT', dynamodb: { Keys: { policyId: { S: bad } }, SequenceNumber: '100' } },
          { eventName: 'INSERT', dynamodb: { Keys: { policyId: { S: ok } }, SequenceNumber: '101' } },
        ],
        await (async () => {
          await sb.db.send(new (await import('@aws-sdk/lib-dynamodb')).PutCommand({ TableName: sb.config.policiesTable, Item: daily(bad) }));
          await sb.db.send(new (await import('@aws-sdk/lib-dynamodb')).PutCommand({ TableName: sb.config.policiesTable, Item: daily(ok) }));
          return sb.scheduling;
        })(),
      );
      expect(result.batchItemFailures).toEqual([{ itemIdentifier: '100' }]);
      expect(scheduleOf(ok)).toBeDefined();
      expect(scheduleOf(bad)).toBeUndefined();
      expect(await statusOf(bad)).toMatchObject({ state: 'ERROR', reason: expect.stringMatching(/could not be synced, and will be retried: ThrottlingException/) });
    } finally {
      sb.scheduling.scheduler.middlewareStack.remove(name);
    }
    // Delivered again once Scheduler answers, the failed policy gets its schedule.
    await sb.syncSchedules();
    expect(scheduleOf(bad)).toBeDefined();
    expect((await statusOf(bad))?.state).toBe('IN_SYNC');
  });
});

describe('daily reconcile', () => {
  it('repairs missing, stale and orphaned schedules and reports what it fixed', async () => {
    await sb.syncSchedules();
    const missing = uniquePolicyId('rec-missing');
    const stale = uniquePolicyId('rec-stale');
    await sb.putPolicy(daily(missing));
    await sb.putPolicy(daily(stale));
    await sb.syncSchedules();
    const client = sb.scheduling.scheduler;
    // Drift the stream cannot see: a schedule deleted by hand, one edited by hand, one made by hand.
    await client.send(new DeleteScheduleCommand({ Name: missing, GroupName: group() }));
    const current = await client.send(new GetScheduleCommand({ Name: stale, GroupName: group() }));
    await client.send(new UpdateScheduleCommand({ ...current, Name: stale, GroupName: group(), ScheduleExpression: 'rate(5 minutes)', FlexibleTimeWindow: current.FlexibleTimeWindow!, Target: current.Target! }));
    await client.send(
      new CreateScheduleCommand({
        Name: 'hand-made',
        GroupName: group(),
        ScheduleExpression: 'rate(1 hour)',
        FlexibleTimeWindow: { Mode: 'OFF' },
        Target: { Arn: sb.stateMachineArn, RoleArn: sb.scheduling.target.roleArn, Input: '{"policyId":"hand-made"}' },
      }),
    );

    const report = await sb.reconcileSchedules();

    expect(report.fixed.created).toEqual([missing]);
    expect(report.fixed.updated).toEqual([stale]);
    expect(report.fixed.deleted).toEqual(['hand-made']);
    expect(report.failed).toEqual([]);
    expect(scheduleOf(missing)?.ScheduleExpression).toBe('cron(0 2 * * ? *)');
    expect(scheduleOf(stale)?.ScheduleExpression).toBe('cron(0 2 * * ? *)');
    expect(scheduleOf('hand-made')).toBeUndefined();
    // A second reconcile finds nothing to fix.
    const again = await sb.reconcileSchedules();
    expect(again.fixed).toEqual({});
  });
});

describe('unattended runs', () => {
  it('a policy put into the table runs at its slots over a simulated week, across a DST change, until it is deleted', async () => {
    // Quiet the other policies of this file: only this one may run.
    for (const s of sb.scheduler.schedules()) if (s.GroupName === group()) await sb.deletePolicy(s.Name);
    await sb.syncSchedules();
    sb.fsx.reset();
    const id = uniquePolicyId('week');
    await sb.putPolicy(daily(id, { targets: { ids: ['fs-0c0000000000000a3', 'fsvol-0c000000000000a41'] } }));

    const outcomes = await sb.runUnattended(new Date('2026-10-27T12:00:00Z'));

    const runs = (await sb.runner.deps.runs.listRuns(id, 50)).reverse();
    // 02:00 Berlin every day: 00:00Z on summer time (the 25th's repeated 02:00 once, at its first
    // occurrence), 01:00Z once clocks have gone back.
    expect(runs.map((r) => r.scheduledTime)).toEqual([
      '2026-10-21T00:00:00Z',
      '2026-10-22T00:00:00Z',
      '2026-10-23T00:00:00Z',
      '2026-10-24T00:00:00Z',
      '2026-10-25T00:00:00Z',
      '2026-10-26T01:00:00Z',
      '2026-10-27T01:00:00Z',
    ]);
    expect(runs.every((r) => r.status === 'SUCCEEDED' && r.trigger === 'schedule')).toBe(true);
    expect(outcomes.filter((o) => o.output && (o.output as { policyId?: string }).policyId === id)).toHaveLength(7);
    expect(backupsOf(sb, id)).toHaveLength(14);

    await sb.deletePolicy(id);
    await sb.runUnattended(new Date('2026-10-30T12:00:00Z'));
    expect(await sb.runner.deps.runs.listRuns(id, 50)).toHaveLength(7);
    expect(scheduleOf(id)).toBeUndefined();
  });
});
