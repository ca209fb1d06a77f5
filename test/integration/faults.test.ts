// The run under faults: throttling, lost responses, crashed and failing tasks. Whatever
// happens, each target gets at most one backup per slot, and the run ends with a record.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../local/sandbox.js';
import { backupsOf, policy, resourceOf, runPolicy, sandbox, uniquePolicyId } from './helpers.js';

const targets = ['fs-0c0000000000000a1', 'fs-0c0000000000000a3', 'fsvol-0c000000000000a41', 'fsvol-0c000000000000a42'];

let sb: Sandbox;
/** Executions (by name) whose Start run fails every attempt, as a throttled Lambda would. */
const startRunFailsFor = new Set<string>();
beforeAll(async () => {
  sb = await sandbox({
    beforeTask: (task, input) => {
      const executionId = (input as { executionId?: string }).executionId ?? '';
      if (task === 'Start run' && startRunFailsFor.has(executionId.split(':').pop() ?? '')) {
        const e = new Error('Rate exceeded');
        e.name = 'Lambda.TooManyRequestsException';
        throw e;
      }
    },
  });
});
afterAll(async () => {
  await sb?.stop();
});
beforeEach(() => {
  sb.fsx.reset();
});

/** Makes DynamoDB fail the first `count` writes that record a started backup, as a crashed Lambda would leave them. */
function crashWhenRecordingStarts(count: number, name = 'Runtime.ExitError') {
  let left = count;
  const id = `crash-${Math.random()}`;
  sb.dynamo.client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { ExpressionAttributeValues?: Record<string, { S?: string }> };
      if (/^Update(Item)?Command$/.test(context.commandName ?? '') && input.ExpressionAttributeValues?.[':status']?.S === 'IN_PROGRESS' && left > 0) {
        left--;
        const crash = new Error('the function crashed after FSx accepted the backup');
        crash.name = name;
        throw crash;
      }
      return next(args);
    },
    { step: 'build', name: id },
  );
  return () => sb.dynamo.client.middlewareStack.remove(id);
}

describe('under faults', () => {
  it('rides out a CreateBackup throttling storm with one backup per target', async () => {
    sb.fsx.faults.add({ kind: 'throttle', operation: 'CreateBackup', count: 14 });
    const id = uniquePolicyId('throttle');
    const { run } = await runPolicy(sb, policy(id, { targets: { ids: targets } }));

    expect(run.status).toBe('SUCCEEDED');
    expect(backupsOf(sb, id).map(resourceOf).sort()).toEqual([...targets].sort());
    expect(sb.fsx.calls.CreateBackup).toBeGreaterThanOrEqual(14 + targets.length);
  });

  it('rides out throttling of every operation, DescribeBackups included', async () => {
    sb.fsx.faults.add({ kind: 'throttle', rate: 0.4 });
    const id = uniquePolicyId('throttle-all');
    const { run, targets: items } = await runPolicy(sb, policy(id, { targets: { ids: targets } }));

    expect(run.status).toBe('SUCCEEDED');
    expect(items.every((t) => t.status === 'SUCCEEDED')).toBe(true);
    expect(backupsOf(sb, id)).toHaveLength(targets.length);
  });

  it.each(['500', 'reset'] as const)('creates exactly one backup when the CreateBackup response is lost (%s)', async (mode) => {
    sb.fsx.faults.add({ kind: 'responseLost', operation: 'CreateBackup', count: 2, mode });
    const id = uniquePolicyId(`lost-${mode}`);
    const { run, byId } = await runPolicy(sb, policy(id, { targets: { ids: targets } }));

    expect(run.status).toBe('SUCCEEDED');
    const backups = backupsOf(sb, id);
    expect(backups.map(resourceOf).sort()).toEqual([...targets].sort());
    for (const b of backups) expect(byId[resourceOf(b)!]?.backupId).toBe(b.BackupId);
    expect(sb.fsx.calls.CreateBackup).toBeGreaterThan(targets.length);
  });

  it('a task that crashes mid-batch is retried by the state machine and creates no duplicates', async () => {
    const restore = crashWhenRecordingStarts(1);
    try {
      const id = uniquePolicyId('crash');
      const { outcome, run, byId } = await runPolicy(sb, policy(id, { targets: { ids: targets }, maxConcurrency: 1 }));

      expect(outcome.stats.statesEntered['Start backups']).toBeGreaterThanOrEqual(1);
      expect(run.status).toBe('SUCCEEDED');
      const backups = backupsOf(sb, id);
      expect(backups.map(resourceOf).sort()).toEqual([...targets].sort());
      for (const b of backups) expect(byId[resourceOf(b)!]?.backupId).toBe(b.BackupId);
      // The crashed attempt had created one backup already; the retry asked again with the same token.
      expect(sb.fsx.calls.CreateBackup).toBe(targets.length + 1);
    } finally {
      restore();
    }
  });

  it('a task that keeps failing ends the run FAILED with the error, and leaves no target open', async () => {
    const restore = crashWhenRecordingStarts(1000, 'ProvisionedThroughputExceededException');
    try {
      const id = uniquePolicyId('doomed');
      const { outcome, run, targets: items } = await runPolicy(sb, policy(id, { targets: { ids: targets } }));

      expect(outcome.status).toBe('SUCCEEDED');
      expect(run.status).toBe('FAILED');
      expect(run.reason).toMatch(/the run stopped early: ProvisionedThroughputExceededException/);
      expect(items.every((t) => t.status === 'FAILED')).toBe(true);
      // However often the task was retried, each target got one backup at most.
      expect(backupsOf(sb, id).length).toBeLessThanOrEqual(targets.length);
      expect(new Set(backupsOf(sb, id).map(resourceOf)).size).toBe(backupsOf(sb, id).length);
    } finally {
      restore();
    }
  });

  it('keeps backups in flight through a DescribeBackups throttling storm instead of failing them', async () => {
    sb.fsx.faults.add({ kind: 'throttle', operation: 'DescribeBackups', count: 7 });
    const id = uniquePolicyId('describe-storm');
    const { outcome, run, targets: items } = await runPolicy(sb, policy(id, { targets: { ids: ['fs-0c0000000000000a1', 'fs-0c0000000000000a3'] } }));

    expect(sb.fsx.faults.list()).toEqual([]);
    // The failed describes were absorbed by Check backups: no task failed and was retried.
    const entered = Object.values(outcome.stats.statesEntered).reduce((a, b) => a + b, 0);
    expect(outcome.stats.stateTransitions).toBe(entered);
    expect(run.status).toBe('SUCCEEDED');
    expect(items.map((t) => t.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    expect(backupsOf(sb, id)).toHaveLength(2);
  });

  it('a duplicate delivery that fails before it sees the claim leaves the running run alone', async () => {
    const id = uniquePolicyId('dup-fails');
    await sb.putPolicy(policy(id, { targets: { ids: ['fs-0c0000000000000a2', 'fs-0c0000000000000a3'] } }));
    const slot = '2026-12-06T02:00:00Z';
    const owner = sb.runner.execute({ policyId: id, scheduledTime: slot, trigger: 'schedule' }, 'owner');
    while (!(await sb.runner.deps.runs.getRun(id, slot))) await new Promise((r) => setTimeout(r, 5));
    startRunFailsFor.add('duplicate');
    const duplicate = await sb.runner.execute({ policyId: id, scheduledTime: slot, trigger: 'schedule' }, 'duplicate');
    startRunFailsFor.delete('duplicate');

    expect(duplicate.output).toMatchObject({ reason: expect.stringMatching(/duplicate delivery: the slot belongs to .*:owner$/) });
    await owner;
    const run = await sb.runner.deps.runs.getRun(id, slot);
    expect(run).toMatchObject({ status: 'SUCCEEDED', executionId: expect.stringMatching(/:owner$/) });
    expect(backupsOf(sb, id)).toHaveLength(2);
  });

  it('a manual run whose Start run fails for good after the claim is recorded FAILED with the error, not left running', async () => {
    // DynamoDB refuses the target writes every time: Start run has claimed the slot, then fails.
    const name = 'refuse-target-writes';
    sb.dynamo.client.middlewareStack.add(
      (next, context) => async (args) => {
        if (/^BatchWrite(Item)?Command$/.test(context.commandName ?? '')) {
          const e = new Error('Throughput exceeds the current capacity of your table or index.');
          e.name = 'ProvisionedThroughputExceededException';
          throw e;
        }
        return next(args);
      },
      { step: 'build', name },
    );
    try {
      const id = uniquePolicyId('manual-fails');
      await sb.putPolicy(policy(id, { targets: { tags: { tier: 'gold' } } }));
      const outcome = await sb.runner.execute({ policyId: id, trigger: 'manual' });

      const [run] = await sb.runner.deps.runs.listRuns(id);
      expect(outcome.output).toMatchObject({ status: 'FAILED' });
      expect(run).toMatchObject({ status: 'FAILED', trigger: 'manual' });
      expect(run?.reason).toMatch(/the run stopped early: ProvisionedThroughputExceededException/);
      expect(backupsOf(sb, id)).toHaveLength(0);
    } finally {
      sb.dynamo.client.middlewareStack.remove(name);
    }
  });

  it('adopts the backup FSx made when every CreateBackup answer was lost until the start window closed', async () => {
    sb.fsx.faults.add({ kind: 'responseLost', operation: 'CreateBackup', mode: '500' });
    const id = uniquePolicyId('lost-all');
    const { run, byId } = await runPolicy(
      sb,
      policy(id, { schedule: { expression: 'rate(1 day)', startWindowMinutes: 3, completionWindowMinutes: 60 }, targets: { ids: ['fs-0c0000000000000a3'] } }),
    );
    sb.fsx.faults.clear();

    const backups = backupsOf(sb, id);
    expect(backups).toHaveLength(1);
    expect(byId['fs-0c0000000000000a3']).toMatchObject({ status: 'SUCCEEDED', backupId: backups[0]?.BackupId });
    expect(run.status).toBe('SUCCEEDED');
  });
});
