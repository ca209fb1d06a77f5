import { describe, expect, it } from 'vitest';
import { parsePolicy } from '../../functions/shared/domain/policy.js';
import { desiredSchedule, scheduleDrift } from '../../functions/shared/domain/schedule-spec.js';

const target = { groupName: 'fsx-backup-prod', stateMachineArn: 'arn:aws:states:eu-central-1:111122223333:stateMachine:fsx-backup-prod-backup-run', roleArn: 'arn:aws:iam::111122223333:role/sched', deadLetterArn: 'arn:aws:sqs:eu-central-1:111122223333:dlq' };
const policy = (extra: Record<string, unknown> = {}) => {
  const parsed = parsePolicy({ policyId: 'prod-daily', schedule: { expression: 'cron(0 2 * * ? *)', timezone: 'Europe/Berlin', startWindowMinutes: 90 }, targets: { tags: { backup: 'daily' } }, ...extra });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return parsed.policy;
};

describe('the schedule a policy should have', () => {
  it('targets the state machine with the slot template, in the policy zone, flexible window off', () => {
    const spec = desiredSchedule(policy(), target);
    expect(spec).toMatchObject({
      Name: 'prod-daily',
      GroupName: 'fsx-backup-prod',
      ScheduleExpression: 'cron(0 2 * * ? *)',
      ScheduleExpressionTimezone: 'Europe/Berlin',
      State: 'ENABLED',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: { Arn: target.stateMachineArn, RoleArn: target.roleArn, DeadLetterConfig: { Arn: target.deadLetterArn } },
    });
    expect(JSON.parse(spec.Target.Input)).toEqual({ policyId: 'prod-daily', scheduledTime: '<aws.scheduler.scheduled-time>', trigger: 'schedule' });
  });

  it('stops retrying a start once the start window has passed', () => {
    expect(desiredSchedule(policy(), target).Target.RetryPolicy).toEqual({ MaximumEventAgeInSeconds: 5400, MaximumRetryAttempts: 185 });
  });

  it('is disabled with the policy and flexible only when the policy asks', () => {
    expect(desiredSchedule(policy({ enabled: false }), target).State).toBe('DISABLED');
    const flexible = policy({ schedule: { expression: 'rate(1 day)', startWindowMinutes: 60, flexibleWindowMinutes: 15 } });
    expect(desiredSchedule(flexible, target).FlexibleTimeWindow).toEqual({ Mode: 'FLEXIBLE', MaximumWindowInMinutes: 15 });
  });

  it('finds no drift in a schedule that matches, and names each field that differs', () => {
    const spec = desiredSchedule(policy(), target);
    expect(scheduleDrift(spec, structuredClone(spec))).toEqual([]);
    const edited = { ...structuredClone(spec), ScheduleExpression: 'rate(5 minutes)', State: 'DISABLED', Target: { ...spec.Target, Input: '{}' } };
    expect(scheduleDrift(spec, edited)).toEqual(['ScheduleExpression', 'State', 'Target.Input']);
    const ending = { ...structuredClone(spec), EndDate: new Date('2026-01-01T00:00:00Z'), ActionAfterCompletion: 'DELETE' };
    expect(scheduleDrift(spec, ending)).toEqual(['EndDate', 'ActionAfterCompletion']);
  });
});
