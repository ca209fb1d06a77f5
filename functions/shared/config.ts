// Runtime settings, parsed once from the environment; every missing or bad key is reported together.
import { z } from 'zod';
import { ConfigurationError } from './errors.js';

const positiveInt = z.coerce.number().int().positive();

const envSchema = z.object({
  POLICIES_TABLE: z.string().min(1),
  RUNS_TABLE: z.string().min(1),
  STACK_NAME: z.string().min(1),
  RUN_HISTORY_DAYS: positiveInt.default(400),
  POLL_INITIAL_SECONDS: positiveInt.default(30),
  POLL_MAX_SECONDS: positiveInt.default(300),
  START_BATCH_SIZE: positiveInt.default(1000),
  CHECK_BATCH_SIZE: positiveInt.default(5000),
});

export interface Config {
  readonly policiesTable: string;
  readonly runsTable: string;
  /** Value of the managed-by tag on every backup this deployment creates. */
  readonly stackName: string;
  readonly runHistoryDays: number;
  readonly poll: { readonly initialSeconds: number; readonly maxSeconds: number };
  readonly startBatchSize: number;
  readonly checkBatchSize: number;
}

export function parseConfig(env: Record<string, string | undefined>): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigurationError(`invalid environment: ${problems.join('; ')}`);
  }
  const e = parsed.data;
  return Object.freeze({
    policiesTable: e.POLICIES_TABLE,
    runsTable: e.RUNS_TABLE,
    stackName: e.STACK_NAME,
    runHistoryDays: e.RUN_HISTORY_DAYS,
    poll: Object.freeze({ initialSeconds: e.POLL_INITIAL_SECONDS, maxSeconds: e.POLL_MAX_SECONDS }),
    startBatchSize: e.START_BATCH_SIZE,
    checkBatchSize: e.CHECK_BATCH_SIZE,
  });
}
