// The offline environment in one object: a shared virtual clock, the FSx emulator seeded from
// a fleet, DynamoDB Local with the tables of serverless.yml, and the workflow runner.
import './env.js';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { FSxClient } from '@aws-sdk/client-fsx';
import { parse } from 'yaml';
import { parseConfig, type Config } from '../functions/shared/config.js';
import { VirtualClock } from './clock.js';
import { startLocalDynamo, type LocalDynamo } from './dynamodb.js';
import { startFsxEmulator, type FleetInput, type FsxEmulator } from './fsx/index.js';
import { WorkflowRunner, type RunnerOptions } from './runner.js';
import { readServerlessConfig } from './serverless-config.js';

export interface SandboxOptions {
  fleet: FleetInput | string;
  /** Where the virtual clock starts. */
  start?: Date | string;
  stage?: string;
  /** Overrides of the stage parameters (e.g. poll intervals, batch sizes). */
  params?: Partial<Record<'pollInitialSeconds' | 'pollMaxSeconds' | 'startBatchSize' | 'checkBatchSize' | 'runHistoryDays', number>>;
  fsx?: (endpoint: string) => FSxClient;
  beforeTask?: RunnerOptions['beforeTask'];
}

export interface Sandbox {
  clock: VirtualClock;
  fsx: FsxEmulator;
  dynamo: LocalDynamo;
  runner: WorkflowRunner;
  config: Config;
  db: DynamoDBDocumentClient;
  putPolicy(policy: Record<string, unknown>): Promise<void>;
  stop(): Promise<void>;
}

export async function startSandbox(opts: SandboxOptions): Promise<Sandbox> {
  const clock = new VirtualClock(opts.start ?? '2026-12-04T00:00:00Z');
  const stage = opts.stage ?? 'local';
  const [fsx, dynamo] = await Promise.all([startFsxEmulator({ clock, fleet: opts.fleet }), startLocalDynamo({ stage })]);
  const params = { ...readServerlessConfig().params.default, ...opts.params };
  const config = parseConfig({
    POLICIES_TABLE: dynamo.tables.policies,
    RUNS_TABLE: dynamo.tables.runs,
    STACK_NAME: `fsx-backup-${stage}`,
    RUN_HISTORY_DAYS: String(params.runHistoryDays),
    POLL_INITIAL_SECONDS: String(params.pollInitialSeconds),
    POLL_MAX_SECONDS: String(params.pollMaxSeconds),
    START_BATCH_SIZE: String(params.startBatchSize),
    CHECK_BATCH_SIZE: String(params.checkBatchSize),
  });
  const runner = new WorkflowRunner({
    clock,
    config,
    fsxEndpoint: fsx.endpoint,
    dynamodb: dynamo.client,
    fsx: opts.fsx?.(fsx.endpoint),
    beforeTask: opts.beforeTask,
  });
  const db = DynamoDBDocumentClient.from(dynamo.client, { marshallOptions: { removeUndefinedValues: true } });
  return {
    clock,
    fsx,
    dynamo,
    runner,
    config,
    db,
    putPolicy: async (policy) => {
      await db.send(new PutCommand({ TableName: config.policiesTable, Item: policy }));
    },
    stop: async () => {
      await Promise.allSettled([fsx.close(), dynamo.stop()]);
    },
  };
}

/** The YAML policies of a directory (examples/policies), in file-name order. */
export function readPolicyFiles(dir: string): { file: string; policy: Record<string, unknown> }[] {
  return readdirSync(dir)
    .filter((f) => /\.ya?ml$|\.json$/.test(f))
    .sort()
    .map((f) => ({ file: join(dir, f), policy: parse(readFileSync(join(dir, f), 'utf8')) as Record<string, unknown> }));
}
