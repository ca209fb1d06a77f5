// The one EventBridge Scheduler schedule a policy should have: a pure function of the policy
// and the deployment, and the comparison that tells whether an existing schedule has drifted.
import type { Policy } from './policy.js';

export interface SchedulingTarget {
  /** Schedule group named after the stack and stage. */
  groupName: string;
  stateMachineArn: string;
  /** Role Scheduler assumes to call states:StartExecution. */
  roleArn: string;
  /** SQS queue for starts Scheduler could not deliver. */
  deadLetterArn: string;
}

export interface ScheduleSpec {
  Name: string;
  GroupName: string;
  Description: string;
  ScheduleExpression: string;
  ScheduleExpressionTimezone: string;
  State: 'ENABLED' | 'DISABLED';
  FlexibleTimeWindow: { Mode: 'OFF' } | { Mode: 'FLEXIBLE'; MaximumWindowInMinutes: number };
  Target: {
    Arn: string;
    RoleArn: string;
    Input: string;
    RetryPolicy: { MaximumEventAgeInSeconds: number; MaximumRetryAttempts: number };
    DeadLetterConfig: { Arn: string };
  };
}

/** The execution input: Scheduler replaces the context keyword with the slot's time. */
export const scheduleInput = (policyId: string) =>
  JSON.stringify({ policyId, scheduledTime: '<aws.scheduler.scheduled-time>', trigger: 'schedule' });

export function desiredSchedule(policy: Policy, target: SchedulingTarget): ScheduleSpec {
  const s = policy.schedule;
  return {
    Name: policy.policyId,
    GroupName: target.groupName,
    Description: `fsx-backup policy ${policy.policyId}; managed from the policies table, edit the policy rather than this schedule`,
    ScheduleExpression: s.expression,
    ScheduleExpressionTimezone: s.timezone,
    State: policy.enabled ? 'ENABLED' : 'DISABLED',
    FlexibleTimeWindow: s.flexibleWindowMinutes ? { Mode: 'FLEXIBLE', MaximumWindowInMinutes: s.flexibleWindowMinutes } : { Mode: 'OFF' },
    Target: {
      Arn: target.stateMachineArn,
      RoleArn: target.roleArn,
      Input: scheduleInput(policy.policyId),
      // A start delivered after the start window closed could back nothing up: stop retrying then.
      RetryPolicy: { MaximumEventAgeInSeconds: Math.min(86_400, Math.max(60, s.startWindowMinutes * 60)), MaximumRetryAttempts: 185 },
      DeadLetterConfig: { Arn: target.deadLetterArn },
    },
  };
}

/** What an existing schedule looks like, as GetSchedule returns it (fields we manage). */
export interface ExistingSchedule {
  Description?: string;
  StartDate?: Date;
  EndDate?: Date;
  ActionAfterCompletion?: string;
  KmsKeyArn?: string;
  ScheduleExpression?: string;
  ScheduleExpressionTimezone?: string;
  State?: string;
  FlexibleTimeWindow?: { Mode?: string; MaximumWindowInMinutes?: number };
  Target?: {
    Arn?: string;
    RoleArn?: string;
    Input?: string;
    RetryPolicy?: { MaximumEventAgeInSeconds?: number; MaximumRetryAttempts?: number };
    DeadLetterConfig?: { Arn?: string };
  };
}

/** The names of the managed fields where the existing schedule differs from the spec. */
export function scheduleDrift(spec: ScheduleSpec, actual: ExistingSchedule): string[] {
  const pairs: [string, unknown, unknown][] = [
    ['Description', spec.Description, actual.Description],
    ['ScheduleExpression', spec.ScheduleExpression, actual.ScheduleExpression],
    ['ScheduleExpressionTimezone', spec.ScheduleExpressionTimezone, actual.ScheduleExpressionTimezone ?? 'UTC'],
    ['State', spec.State, actual.State],
    ['FlexibleTimeWindow.Mode', spec.FlexibleTimeWindow.Mode, actual.FlexibleTimeWindow?.Mode],
    ['FlexibleTimeWindow.MaximumWindowInMinutes', 'MaximumWindowInMinutes' in spec.FlexibleTimeWindow ? spec.FlexibleTimeWindow.MaximumWindowInMinutes : undefined, actual.FlexibleTimeWindow?.MaximumWindowInMinutes],
    ['Target.Arn', spec.Target.Arn, actual.Target?.Arn],
    ['Target.RoleArn', spec.Target.RoleArn, actual.Target?.RoleArn],
    ['Target.Input', spec.Target.Input, actual.Target?.Input],
    ['Target.RetryPolicy', JSON.stringify(spec.Target.RetryPolicy), JSON.stringify({ MaximumEventAgeInSeconds: actual.Target?.RetryPolicy?.MaximumEventAgeInSeconds, MaximumRetryAttempts: actual.Target?.RetryPolicy?.MaximumRetryAttempts })],
    ['Target.DeadLetterConfig', spec.Target.DeadLetterConfig.Arn, actual.Target?.DeadLetterConfig?.Arn],
    // A managed schedule has none of these; one added by hand could stop it firing.
    ['StartDate', undefined, actual.StartDate?.toISOString()],
    ['EndDate', undefined, actual.EndDate?.toISOString()],
    ['ActionAfterCompletion', 'NONE', actual.ActionAfterCompletion ?? 'NONE'],
    ['KmsKeyArn', undefined, actual.KmsKeyArn],
  ];
  return pairs.filter(([, want, have]) => want !== have).map(([name]) => name);
}
