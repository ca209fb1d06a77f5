// The dependencies every task receives. Production builds them once per Lambda environment,
// from its environment; the offline runner builds them with its own endpoints and clock.
import { FSxClient } from '@aws-sdk/client-fsx';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { systemClock, type Clock } from './clock.js';
import { parseConfig, type Config } from './config.js';
import { parseSchedulingConfig, type SchedulingConfig } from './scheduling-config.js';
import type { SchedulingTarget } from './domain/schedule-spec.js';
import { logger, metrics, tracer } from './powertools.js';
import { documentClient } from './store/document-client.js';
import { PolicyStore } from './store/policies.js';
import { RunStore } from './store/runs.js';

/**
 * FSx throttles CreateBackup at low rates: five attempts with the SDK's backoff and jitter
 * (instead of its default three) ride out a short storm before a target waits for the next pass.
 */
export const fsxClientConfig = { maxAttempts: 5 } as const;

export interface Deps {
  config: Config;
  clock: Clock;
  fsx: FSxClient;
  runs: RunStore;
  policies: PolicyStore;
  log: Logger;
  metrics: Metrics;
}

export function buildDeps(opts: { config: Config; clock: Clock; fsx: FSxClient; dynamodb: DynamoDBClient }): Deps {
  const db = documentClient(opts.dynamodb);
  return {
    config: opts.config,
    clock: opts.clock,
    fsx: opts.fsx,
    runs: new RunStore(db, opts.config.runsTable),
    policies: new PolicyStore(db, opts.config.policiesTable),
    log: logger,
    metrics,
  };
}

let production: Deps | undefined;

/** Built on first use, then reused by every invocation of the environment. */
export function productionDeps(): Deps {
  production ??= buildDeps({
    config: parseConfig(process.env),
    clock: systemClock,
    fsx: tracer.captureAWSv3Client(new FSxClient({ ...fsxClientConfig })),
    dynamodb: tracer.captureAWSv3Client(new DynamoDBClient({})),
  });
  return production;
}

/** What the schedule sync and reconcile functions receive. */
export interface SchedulingDeps {
  scheduler: SchedulerClient;
  policies: PolicyStore;
  clock: Clock;
  target: SchedulingTarget;
  log: Logger;
  metrics: Metrics;
}

export function buildSchedulingDeps(opts: { config: SchedulingConfig; clock: Clock; scheduler: SchedulerClient; dynamodb: DynamoDBClient }): SchedulingDeps {
  const db = documentClient(opts.dynamodb);
  return {
    scheduler: opts.scheduler,
    policies: new PolicyStore(db, opts.config.policiesTable),
    clock: opts.clock,
    target: opts.config.target,
    log: logger,
    metrics,
  };
}

let productionScheduling: SchedulingDeps | undefined;

export function productionSchedulingDeps(): SchedulingDeps {
  productionScheduling ??= buildSchedulingDeps({
    config: parseSchedulingConfig(process.env),
    clock: systemClock,
    scheduler: tracer.captureAWSv3Client(new SchedulerClient({})),
    dynamodb: tracer.captureAWSv3Client(new DynamoDBClient({})),
  });
  return productionScheduling;
}
