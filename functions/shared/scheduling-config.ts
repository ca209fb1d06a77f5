// Settings of the two scheduling functions (sync and reconcile), parsed once from the environment.
import { z } from 'zod';
import type { SchedulingTarget } from './domain/schedule-spec.js';
import { ConfigurationError } from './errors.js';

const envSchema = z.object({
  POLICIES_TABLE: z.string().min(1),
  SCHEDULE_GROUP: z.string().min(1),
  STATE_MACHINE_ARN: z.string().startsWith('arn:'),
  SCHEDULER_ROLE_ARN: z.string().startsWith('arn:'),
  SCHEDULE_DLQ_ARN: z.string().startsWith('arn:'),
});

export interface SchedulingConfig {
  readonly policiesTable: string;
  readonly target: SchedulingTarget;
}

export function parseSchedulingConfig(env: Record<string, string | undefined>): SchedulingConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigurationError(`invalid environment: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  const e = parsed.data;
  return Object.freeze({
    policiesTable: e.POLICIES_TABLE,
    target: Object.freeze({ groupName: e.SCHEDULE_GROUP, stateMachineArn: e.STATE_MACHINE_ARN, roleArn: e.SCHEDULER_ROLE_ARN, deadLetterArn: e.SCHEDULE_DLQ_ARN }),
  });
}
