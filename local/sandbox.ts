// The offline environment in one object: a shared virtual clock, the FSx emulator seeded from
// a fleet, DynamoDB Local with the tables of serverless.yml, the Scheduler emulator, the policies
// stream wired to the real schedule-sync handler, and the workflow runner.
import './env.js';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DeleteCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { FSxClient } from '@aws-sdk/client-fsx';
import { CreateScheduleGroupCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { parse } from 'yaml';
import { parseConfig, type Config } from '../functions/shared/config.js';
import { buildSchedulingDeps, type SchedulingDeps } from '../functions/shared/deps.js';
import { documentClient } from '../functions/shared/store/document-client.js';
import { createHandler as createSyncSchedules } from '../functions/sync-schedules/handler.js';
import { createHandler as createReconcileSchedules } from '../functions/reconcile-schedules/handler.js';
import type { ReconcileReport } from '../functions/reconcile-schedules/reconcile-schedules.js';
import { createHandler as createCheckRpo } from '../functions/check-rpo/handler.js';
import type { RpoCheckReport } from '../functions/check-rpo/check-rpo.js';
import { VirtualClock } from './clock.js';
import { startLocalDynamo, type LocalDynamo } from './dynamodb.js';
import { startFsxEmulator, type FleetInput, type FsxEmulator } from './fsx/index.js';
import { lambdaContext, WorkflowRunner, type ExecutionOutcome, type RunnerOptions } from './runner.js';
import { startSchedulerEmulator, type SchedulerEmulator } from './scheduler/index.js';
import { readServerlessConfig } from './serverless-config.js';
import { startStepFunctionsEmulator, type StepFunctionsEmulator } from './sfn/index.js';
import { StreamPoller } from './streams.js';
import type { SandboxConnection } from '../cli/sandbox-file.js';

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

export interface LiveEvents {
  onRunStarted?: (run: { policyId: string; scheduledTime: string; at: Date }) => void;
  onRunFinished?: (run: { policyId: string; scheduledTime: string; at: Date; outcome: ExecutionOutcome }) => void;
}

export interface Sandbox {
  clock: VirtualClock;
  fsx: FsxEmulator;
  scheduler: SchedulerEmulator;
  /** Step Functions API (StartExecution, DescribeExecution, ListExecutions) over the runner. */
  stepFunctions: StepFunctionsEmulator;
  dynamo: LocalDynamo;
  runner: WorkflowRunner;
  config: Config;
  scheduling: SchedulingDeps;
  streams: StreamPoller;
  db: DynamoDBDocumentClient;
  /** The state machine ARN the sandbox's schedules target. */
  stateMachineArn: string;
  putPolicy(policy: Record<string, unknown>): Promise<void>;
  deletePolicy(policyId: string): Promise<void>;
  /** Delivers the policies stream to the schedule sync, as the event source mapping would. */
  syncSchedules(): Promise<void>;
  reconcileSchedules(): Promise<ReconcileReport>;
  /** Runs the RPO check once, at the shared clock's time, as its 15-minute schedule would. */
  checkRpo(): Promise<RpoCheckReport>;
  /**
   * Lets time pass unattended until `until`: stream records reach the sync, schedules fire into
   * the workflow; resolves when every run started in the span has ended.
   */
  runUnattended(until: Date, events?: LiveEvents, signal?: AbortSignal): Promise<ExecutionOutcome[]>;
  stop(): Promise<void>;
}

export async function startSandbox(opts: SandboxOptions): Promise<Sandbox> {
  const clock = new VirtualClock(opts.start ?? '2026-12-04T00:00:00Z');
  const stage = opts.stage ?? 'local';
  const cfg = readServerlessConfig();
  const [fsx, dynamo, scheduler] = await Promise.all([
    startFsxEmulator({ clock, fleet: opts.fleet }),
    startLocalDynamo({ stage }),
    startSchedulerEmulator({ clock }),
  ]);
  const params = { ...cfg.params.default, ...opts.params };
  const stackName = `${cfg.service}-${stage}`;
  const config = parseConfig({
    POLICIES_TABLE: dynamo.tables.policies,
    RUNS_TABLE: dynamo.tables.runs,
    STACK_NAME: stackName,
    RUN_HISTORY_DAYS: String(params.runHistoryDays),
    POLL_INITIAL_SECONDS: String(params.pollInitialSeconds),
    POLL_MAX_SECONDS: String(params.pollMaxSeconds),
    START_BATCH_SIZE: String(params.startBatchSize),
    CHECK_BATCH_SIZE: String(params.checkBatchSize),
  });
  const stateMachineName = `${stackName}-backup-run`;
  const runner = new WorkflowRunner({
    clock,
    config,
    machineName: stateMachineName,
    fsxEndpoint: fsx.endpoint,
    dynamodb: dynamo.client,
    fsx: opts.fsx?.(fsx.endpoint),
    beforeTask: opts.beforeTask,
  });
  const stateMachineArn = `arn:aws:states:us-east-1:123456789012:stateMachine:${stateMachineName}`;
  const stepFunctions = await startStepFunctionsEmulator({ runner, clock, stateMachineArn });
  const schedulerClient = new SchedulerClient({ endpoint: scheduler.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  await schedulerClient.send(new CreateScheduleGroupCommand({ Name: stackName }));
  const scheduling = buildSchedulingDeps({
    config: {
      policiesTable: config.policiesTable,
      target: {
        groupName: stackName,
        stateMachineArn,
        roleArn: `arn:aws:iam::123456789012:role/${stackName}-scheduler`,
        deadLetterArn: `arn:aws:sqs:us-east-1:123456789012:${stackName}-schedule-dlq`,
      },
    },
    clock,
    scheduler: schedulerClient,
    dynamodb: dynamo.client,
  });
  const syncHandler = createSyncSchedules(() => scheduling);
  const reconcileHandler = createReconcileSchedules(() => scheduling);
  // The RPO check reads the same tables as the workflow, with the same deps.
  const checkRpoHandler = createCheckRpo(() => runner.deps);
  const streamEvent = cfg.functions.syncSchedules?.events?.[0]?.stream;
  const streams = new StreamPoller(
    dynamo.client,
    dynamo.endpoint,
    config.policiesTable,
    (event) => syncHandler(event, lambdaContext('syncSchedules', 120, clock)),
    { batchSize: streamEvent?.batchSize ?? 25, maximumRetryAttempts: streamEvent?.maximumRetryAttempts ?? 20 },
  );
  const db = documentClient(dynamo.client);

  async function runUnattended(until: Date, events: LiveEvents = {}, signal?: AbortSignal): Promise<ExecutionOutcome[]> {
    const started: Promise<ExecutionOutcome>[] = [];
    const deliver = () => {
      for (const invocation of scheduler.takeDue()) {
        if (invocation.target.Arn !== stateMachineArn) continue;
        const input = JSON.parse(invocation.input) as { policyId: string; scheduledTime: string };
        events.onRunStarted?.({ ...input, at: clock.now() });
        started.push(
          stepFunctions.startExecution(invocation.input).done.then((outcome) => {
            events.onRunFinished?.({ ...input, at: clock.now(), outcome });
            return outcome;
          }),
        );
      }
    };
    clock.enter();
    try {
      for (;;) {
        await streams.drain();
        deliver();
        const now = clock.now().getTime();
        if (now >= until.getTime() || signal?.aborted) break;
        // Wake at the next fire time, and at least every five minutes to pick up policy changes.
        const next = Math.min(scheduler.nextFireTime()?.getTime() ?? Infinity, now + 5 * 60_000, until.getTime());
        await clock.sleep(Math.max(next - now, 1));
      }
    } finally {
      clock.leave();
    }
    return Promise.all(started);
  }

  return {
    clock,
    fsx,
    scheduler,
    stepFunctions,
    dynamo,
    runner,
    config,
    scheduling,
    streams,
    db,
    stateMachineArn,
    putPolicy: async (policy) => {
      await db.send(new PutCommand({ TableName: config.policiesTable, Item: policy }));
    },
    deletePolicy: async (policyId) => {
      await db.send(new DeleteCommand({ TableName: config.policiesTable, Key: { policyId } }));
    },
    syncSchedules: () => streams.drain(),
    reconcileSchedules: () => reconcileHandler({}, lambdaContext('reconcileSchedules', 600, clock)),
    checkRpo: () => checkRpoHandler({}, lambdaContext('checkRpo', 300, clock)),
    runUnattended,
    stop: async () => {
      clock.stopPacing();
      await Promise.allSettled([fsx.close(), dynamo.stop(), scheduler.close(), stepFunctions.close()]);
    },
  };
}

/** What the CLI needs to reach this sandbox (`--local`), with a reading of its clock. */
export function sandboxConnection(sb: Sandbox, speed: number): SandboxConnection {
  return {
    region: sb.stateMachineArn.split(':')[3] ?? 'us-east-1',
    stage: sb.config.stackName.replace(/^fsx-backup-/, ''),
    stackName: sb.config.stackName,
    endpoints: { dynamodb: sb.dynamo.endpoint, fsx: sb.fsx.endpoint, scheduler: sb.scheduler.endpoint, stepfunctions: sb.stepFunctions.endpoint },
    policiesTable: sb.config.policiesTable,
    runsTable: sb.config.runsTable,
    stateMachineArn: sb.stateMachineArn,
    scheduleGroup: sb.scheduling.target.groupName,
    pid: process.pid,
    clock: { virtual: sb.clock.now().toISOString(), wall: new Date().toISOString(), speed },
  };
}

/** The YAML policies of a directory (examples/policies), in file-name order. */
export function readPolicyFiles(dir: string): { file: string; policy: Record<string, unknown> }[] {
  return readdirSync(dir)
    .filter((f) => /\.ya?ml$|\.json$/.test(f))
    .sort()
    .map((f) => ({ file: join(dir, f), policy: parse(readFileSync(join(dir, f), 'utf8')) as Record<string, unknown> }));
}
