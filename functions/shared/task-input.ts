// The shapes of the state that flows between the workflow's tasks: small counters and cursors
// only, so the payload stays the same size however many targets a run has.
import { z } from 'zod';
import { normalizeSlotTime } from './domain/tokens.js';

/**
 * A slot is a minute (EventBridge Scheduler has one-minute precision): the run's key, its
 * backups' token and tags all use the same normalized time, "2026-12-04T01:00:00Z".
 */
export { normalizeSlotTime };

/** The minute a time falls in, as a slot time ("2026-12-04T01:07:00Z"). */
export const currentMinute = (value: string): string => normalizeSlotTime(value);

export const slotTime = z.string().transform((value, ctx) => {
  try {
    return normalizeSlotTime(value);
  } catch (e: unknown) {
    ctx.addIssue({ code: 'custom', message: e instanceof Error ? e.message : String(e) });
    return z.NEVER;
  }
});

export const executionInput = z.object({
  policyId: z.string().min(1),
  scheduledTime: slotTime,
  trigger: z.enum(['schedule', 'manual']).default('schedule'),
});

export const progressSchema = z.object({
  phase: z.enum(['start', 'check']),
  cursor: z.record(z.string(), z.unknown()).optional(),
  pending: z.number().int().nonnegative(),
  inFlight: z.number().int().nonnegative(),
  polls: z.number().int().nonnegative(),
  waitSeconds: z.number().int().positive(),
});
export type Progress = z.infer<typeof progressSchema>;

export const loopInput = executionInput.extend({
  progress: progressSchema.optional(),
});
export type LoopInput = z.infer<typeof loopInput>;
