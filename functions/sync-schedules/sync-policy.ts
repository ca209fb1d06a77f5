// Brings one policy's EventBridge Scheduler schedule in line with the policy as it is in the
// table now, and writes the outcome back on the policy item. Reading the current item (not
// the stream image) makes replayed and out-of-order stream records harmless.
import {
  ConflictException,
  CreateScheduleCommand,
  DeleteScheduleCommand,
  GetScheduleCommand,
  ResourceNotFoundException,
  UpdateScheduleCommand,
  ValidationException,
  type GetScheduleCommandOutput,
} from '@aws-sdk/client-scheduler';
import type { SchedulingDeps } from '../shared/deps.js';
import { parsePolicy } from '../shared/domain/policy.js';
import { formatLocal, nextFireTimes } from '../shared/domain/schedule.js';
import { desiredSchedule, scheduleDrift, type ScheduleSpec } from '../shared/domain/schedule-spec.js';
import { errorMessage, errorName } from '../shared/errors.js';
import type { ScheduleStatus } from '../shared/store/policies.js';

export type { SchedulingDeps };

export type SyncAction = 'created' | 'updated' | 'deleted' | 'disabled' | 'unchanged' | 'absent' | 'rejected';

export interface SyncResult {
  policyId: string;
  action: SyncAction;
  status?: ScheduleStatus;
  drift?: string[];
}

const NEXT_FIRE_TIMES = 5;

export async function syncPolicySchedule(policyId: string, deps: Omit<SchedulingDeps, 'metrics'>): Promise<SyncResult> {
  try {
    return await syncOnce(policyId, deps);
  } catch (e: unknown) {
    // The item must not keep saying IN_SYNC while its schedule may not match; the stream
    // delivers the record again (then the dead-letter queue), and the reconcile repairs it.
    const status: ScheduleStatus = {
      state: 'ERROR',
      reason: `the schedule could not be synced, and will be retried: ${errorName(e)}: ${errorMessage(e)}`,
      groupName: deps.target.groupName,
      syncedAt: deps.clock.now().toISOString(),
    };
    await deps.policies.writeScheduleStatus(policyId, status).catch(() => undefined);
    throw e;
  }
}

async function syncOnce(policyId: string, deps: Omit<SchedulingDeps, 'metrics'>): Promise<SyncResult> {
  const { scheduler, policies, clock, target, log } = deps;
  const item = await policies.getPolicyItem(policyId);
  const existing = await getSchedule(policyId);

  if (!item) {
    if (!existing) return { policyId, action: 'absent' };
    await deleteSchedule(policyId);
    log.info('schedule deleted with its policy', { policyId });
    return { policyId, action: 'deleted' };
  }

  const now = clock.now();
  const parsed = parsePolicy(item);
  if (!parsed.ok) {
    // Never leave a schedule running on settings the policy no longer has: disable it.
    const action: SyncAction = (await disableExisting()) ? 'disabled' : 'unchanged';
    const status: ScheduleStatus = {
      state: 'INVALID',
      reason: `the policy is invalid, so it is not scheduled${existing ? ' (its schedule is disabled)' : ''}: ${parsed.errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`,
      errors: parsed.errors,
      scheduleArn: existing?.Arn,
      scheduleState: existing ? 'DISABLED' : 'ABSENT',
      groupName: target.groupName,
      syncedAt: now.toISOString(),
    };
    await policies.writeScheduleStatus(policyId, status);
    return { policyId, action, status };
  }

  const policy = parsed.policy;
  const spec = desiredSchedule(policy, target);
  let action: SyncAction;
  let arn: string | undefined;
  let drift: string[] | undefined;
  let createdAt = existing?.CreationDate;
  try {
    if (!existing) {
      arn = await createSchedule(spec);
      createdAt = now;
      action = 'created';
    } else {
      drift = scheduleDrift(spec, existing);
      arn = existing.Arn;
      if (drift.length > 0) {
        arn = (await scheduler.send(new UpdateScheduleCommand(spec))).ScheduleArn ?? arn;
        action = 'updated';
      } else {
        action = 'unchanged';
      }
    }
  } catch (e: unknown) {
    if (!(e instanceof ValidationException)) throw e;
    // A schedule the service refused to update must not keep running on the old settings.
    const disabled = await disableExisting();
    const status: ScheduleStatus = {
      state: 'ERROR',
      reason: `EventBridge Scheduler rejected the schedule${disabled ? ' (the previous one is disabled)' : ''}: ${errorName(e)}: ${errorMessage(e)}`,
      scheduleArn: existing?.Arn,
      scheduleState: existing ? (disabled ? 'DISABLED' : (existing.State as 'ENABLED' | 'DISABLED')) : 'ABSENT',
      groupName: target.groupName,
      expression: spec.ScheduleExpression,
      timezone: spec.ScheduleExpressionTimezone,
      syncedAt: now.toISOString(),
    };
    await policies.writeScheduleStatus(policyId, status);
    log.warn('schedule rejected', { policyId, error: status.reason });
    return { policyId, action: 'rejected', status };
  }

  const status: ScheduleStatus = {
    state: policy.enabled ? 'IN_SYNC' : 'DISABLED',
    scheduleArn: arn,
    scheduleState: spec.State,
    groupName: target.groupName,
    expression: spec.ScheduleExpression,
    timezone: spec.ScheduleExpressionTimezone,
    nextFireTimes: policy.enabled
      ? nextFireTimes(spec.ScheduleExpression, spec.ScheduleExpressionTimezone, now, NEXT_FIRE_TIMES, { anchor: createdAt }).map((t) => ({
          utc: t.toISOString().replace('.000Z', 'Z'),
          local: formatLocal(t, spec.ScheduleExpressionTimezone),
        }))
      : [],
    syncedAt: now.toISOString(),
  };
  if (!policy.enabled) status.reason = 'the policy is disabled; its schedule is kept, disabled';
  await policies.writeScheduleStatus(policyId, status);
  if (action !== 'unchanged') log.info(`schedule ${action}`, { policyId, drift, state: spec.State });
  return { policyId, action, status, drift };

  /** Sends the existing schedule back as it is, but disabled (UpdateSchedule replaces it whole). */
  async function disableExisting(): Promise<boolean> {
    if (!existing || existing.State === 'DISABLED') return false;
    await scheduler.send(
      new UpdateScheduleCommand({
        Name: policyId,
        GroupName: target.groupName,
        Description: existing.Description,
        ScheduleExpression: existing.ScheduleExpression,
        ScheduleExpressionTimezone: existing.ScheduleExpressionTimezone,
        StartDate: existing.StartDate,
        EndDate: existing.EndDate,
        FlexibleTimeWindow: existing.FlexibleTimeWindow,
        Target: existing.Target,
        State: 'DISABLED',
      }),
    );
    return true;
  }

  async function getSchedule(name: string): Promise<GetScheduleCommandOutput | undefined> {
    try {
      return await scheduler.send(new GetScheduleCommand({ Name: name, GroupName: target.groupName }));
    } catch (e: unknown) {
      if (e instanceof ResourceNotFoundException) return undefined;
      throw e;
    }
  }

  async function deleteSchedule(name: string): Promise<void> {
    try {
      await scheduler.send(new DeleteScheduleCommand({ Name: name, GroupName: target.groupName }));
    } catch (e: unknown) {
      if (!(e instanceof ResourceNotFoundException)) throw e;
    }
  }

  async function createSchedule(s: ScheduleSpec): Promise<string | undefined> {
    try {
      return (await scheduler.send(new CreateScheduleCommand(s))).ScheduleArn;
    } catch (e: unknown) {
      // Another sync created it a moment ago: make it match instead.
      if (!(e instanceof ConflictException)) throw e;
      return (await scheduler.send(new UpdateScheduleCommand(s))).ScheduleArn;
    }
  }
}
