// Runs the very ASL file that serverless.yml deploys with aws-local-stepfunctions. Each Task is
// mapped to its real middy-wrapped handler, built with real SDK clients pointed at the local
// endpoints; Wait states pass on the shared virtual clock, so hours of polling cost no real time.
import './env.js';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { FSxClient } from '@aws-sdk/client-fsx';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import { StateMachine } from 'aws-local-stepfunctions';
import { createHandler as createStartRun } from '../functions/start-run/handler.js';
import { createHandler as createStartBackups } from '../functions/start-backups/handler.js';
import { createHandler as createCheckBackups } from '../functions/check-backups/handler.js';
import { createHandler as createFinishRun } from '../functions/finish-run/handler.js';
import type { Config } from '../functions/shared/config.js';
import { buildDeps, fsxClientConfig, type Deps } from '../functions/shared/deps.js';
import type { VirtualClock } from './clock.js';
import type { Clock } from '../functions/shared/clock.js';
import { readServerlessConfig, stateMachineDefinitionPath } from './serverless-config.js';

export type TaskHandler = (event: unknown, context: Context) => Promise<unknown>;

const handlerFactories: Record<string, (deps: () => Deps) => TaskHandler> = {
  startRun: createStartRun,
  startBackups: createStartBackups,
  checkBackups: createCheckBackups,
  finishRun: createFinishRun,
};

/** Step Functions history events per state type, as AWS counts them (see docs/performance.md). */
/** Step Functions' hard limits for a Standard execution. */
const HISTORY_EVENT_LIMIT = 25_000;
const PAYLOAD_LIMIT_BYTES = 262_144;

const HISTORY_EVENTS = { Task: 5, Choice: 2, Wait: 2, Succeed: 2, Fail: 2, Pass: 2, Retry: 3 } as const;
/**
 * An inline Map state: MapStateEntered, MapStateStarted, MapStateSucceeded, MapStateExited; each
 * iteration adds MapIterationStarted and MapIterationSucceeded (or Failed), in the parent's history.
 */
const MAP_STATE_EVENTS = 4;
const MAP_ITERATION_EVENTS = 1;

export interface ExecutionStats {
  stateTransitions: number;
  historyEvents: number;
  lambdaInvocations: number;
  largestPayloadBytes: number;
  largestPayloadState?: string;
  statesEntered: Record<string, number>;
}

export interface ExecutionOutcome {
  executionId: string;
  status: 'SUCCEEDED' | 'FAILED';
  output?: unknown;
  error?: { name: string; message: string };
  stats: ExecutionStats;
}

export interface RunnerOptions {
  clock: VirtualClock;
  config: Config;
  fsxEndpoint: string;
  dynamodb: DynamoDBClient;
  /** Lets a test wrap the FSx client (fault middleware); defaults to a plain client. */
  fsx?: FSxClient;
  /** Called before every task invocation: a test can make a handler "crash" here. */
  beforeTask?: (task: string, input: unknown) => void | Promise<void>;
  stateMachineKey?: string;
  /** The deployed state machine's name, for execution ARNs (default fsx-backup-local-<key>). */
  machineName?: string;
  /**
   * Fail an execution, as AWS would, once its history passes 25,000 events or a state's payload
   * passes 256 KiB (default on; the benchmark turns it off to measure how far a design overshoots).
   */
  enforceLimits?: boolean;
  /** Another ASL file to run instead of the deployed one (the benchmark's naive design). */
  definitionPath?: string;
  /**
   * Handlers by function key (the first element of a Task's Fn::GetAtt), instead of the project's
   * own; their functions need not be in serverless.yml (timeout: timeoutSeconds, default 60).
   */
  handlers?: Record<string, TaskHandler>;
  timeoutSeconds?: number;
}

export function localFsxClient(endpoint: string): FSxClient {
  return new FSxClient({ ...fsxClientConfig, endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
}

export class WorkflowRunner {
  readonly definition: Record<string, unknown>;
  readonly deps: Deps;
  private readonly machine: StateMachine;
  private readonly handlers: Record<string, TaskHandler>;
  private readonly taskFunctions: Record<string, { key: string; timeoutSeconds: number }> = {};
  private readonly stateTypes: Record<string, string> = {};
  readonly totals: ExecutionStats = emptyStats();
  readonly machineName: string;
  /** The ASL file this runner executes: the one serverless.yml deploys, unless options name another. */
  readonly definitionPath: string;

  constructor(private readonly opts: RunnerOptions) {
    const cfg = readServerlessConfig();
    const key = opts.stateMachineKey ?? 'backupRun';
    this.machineName = opts.machineName ?? `fsx-backup-local-${key}`;
    this.definitionPath = opts.definitionPath ?? stateMachineDefinitionPath(cfg, key);
    const asl = JSON.parse(readFileSync(this.definitionPath, 'utf8')) as { States: Record<string, Record<string, unknown>> };
    this.deps = buildDeps({ config: opts.config, clock: opts.clock, fsx: opts.fsx ?? localFsxClient(opts.fsxEndpoint), dynamodb: opts.dynamodb });
    const deps = () => this.deps;
    this.handlers = opts.handlers ?? Object.fromEntries(Object.entries(handlerFactories).map(([k, make]) => [k, make(deps)]));
    this.definition = { ...asl, States: this.resolveStates(asl.States, cfg) };
    this.machine = new StateMachine(this.definition as never, { validationOptions: { checkPaths: true, checkArn: true } });
  }

  /** Resolves Fn::GetAtt [fn, Arn] as CloudFormation would, and runs Wait states on the shared clock (also inside inline Maps). */
  private resolveStates(aslStates: Record<string, Record<string, unknown>>, cfg: ReturnType<typeof readServerlessConfig>): Record<string, Record<string, unknown>> {
    const states: Record<string, Record<string, unknown>> = {};
    for (const [name, state] of Object.entries(aslStates)) {
      this.stateTypes[name] = state.Type as string;
      if (state.Type === 'Task') {
        const getAtt = (state.Resource as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt'];
        const fnKey = getAtt?.[0];
        if (!fnKey || (!this.opts.handlers && !cfg.functions[fnKey]) || !this.handlers[fnKey]) throw new Error(`Task "${name}" must name a function of serverless.yml with Fn::GetAtt`);
        this.taskFunctions[name] = { key: fnKey, timeoutSeconds: cfg.functions[fnKey]?.timeout ?? this.opts.timeoutSeconds ?? (this.opts.handlers ? 60 : 6) };
        // The function's own timeout bounds the task, as Lambda would (the library defaults to 60 s).
        states[name] = { TimeoutSeconds: this.taskFunctions[name].timeoutSeconds, ...state, Resource: `arn:aws:lambda:us-east-1:123456789012:function:fsx-backup-local-${fnKey}` };
      } else if (state.Type === 'Wait') {
        states[name] = {
          Type: 'Task',
          Resource: `arn:aws:lambda:us-east-1:123456789012:function:virtual-wait`,
          TimeoutSeconds: 2_000_000, // below setTimeout's 2^31 ms limit; virtual waits never get near it
          ...(state.Next ? { Next: state.Next } : { End: true }),
        };
        this.waitStates.set(name, state);
      } else if (state.Type === 'Map') {
        const field = state.ItemProcessor ? 'ItemProcessor' : 'Iterator';
        const processor = state[field] as { States: Record<string, Record<string, unknown>> };
        states[name] = { ...state, [field]: { ...processor, States: this.resolveStates(processor.States, cfg) } };
      } else {
        states[name] = state;
      }
    }
    return states;
  }

  private readonly waitStates = new Map<string, Record<string, unknown>>();

  /** Starts an execution and resolves when it ends, like StartExecution followed by waiting. */
  async execute(input: Record<string, unknown>, name: string = randomUUID()): Promise<ExecutionOutcome> {
    const executionId = `arn:aws:states:us-east-1:123456789012:execution:${this.machineName}:${name}`;
    const stats = emptyStats();
    const local: Record<string, (input: unknown) => Promise<unknown>> = {};
    for (const [stateName, fn] of Object.entries(this.taskFunctions)) {
      local[stateName] = async (rawInput: unknown) => {
        stats.lambdaInvocations++;
        // aws-local-stepfunctions always takes $$.Execution.StartTime from the wall clock; the
        // execution started at `startTime` on the shared clock, so that is what tasks are given.
        const taskInput = withVirtualStartTime(rawInput, startTime);
        await this.opts.beforeTask?.(stateName, taskInput);
        const handler = this.handlers[fn.key] as TaskHandler;
        return handler(taskInput, lambdaContext(fn.key, fn.timeoutSeconds, this.opts.clock));
      };
    }
    for (const [stateName, wait] of this.waitStates) {
      local[stateName] = async (waitInput: unknown) => {
        await this.opts.clock.sleep(waitMilliseconds(wait, waitInput, this.opts.clock.now()));
        return waitInput;
      };
    }
    const startTime = this.opts.clock.now().toISOString();
    this.opts.clock.enter();
    const execution = this.machine.run(input as never, {
      overrides: { taskResourceLocalHandlers: local as never, retryIntervalOverrides: Object.fromEntries(Object.keys(this.taskFunctions).map((n) => [n, 0])) },
      context: { Execution: { Id: executionId, Name: name, Input: input, StartTime: startTime } } as never,
    });
    let limitError: { name: string; message: string } | undefined;
    const counting = this.countEvents(execution.eventLogs, stats, (error) => {
      if (this.opts.enforceLimits === false || limitError) return;
      limitError = error;
      execution.abort();
    });
    try {
      const output = await execution.result;
      await counting;
      stats.historyEvents += 2;
      return { executionId, status: 'SUCCEEDED', output, stats: this.addTotals(stats) };
    } catch (e: unknown) {
      await counting;
      stats.historyEvents += 2;
      const err = e as { name?: string; message?: string; cause?: { name?: string; message?: string } };
      const error = limitError ?? { name: err.cause?.name ?? err.name ?? 'Error', message: err.cause?.message ?? err.message ?? String(e) };
      return { executionId, status: 'FAILED', error, stats: this.addTotals(stats) };
    } finally {
      this.opts.clock.leave();
    }
  }

  private async countEvents(events: AsyncGenerator<unknown>, stats: ExecutionStats, overLimit: (error: { name: string; message: string }) => void): Promise<void> {
    for await (const raw of events) {
      if (stats.historyEvents > HISTORY_EVENT_LIMIT) {
        overLimit({ name: 'States.Runtime', message: `the execution's history passed ${HISTORY_EVENT_LIMIT} events, where Step Functions fails it` });
      }
      if (stats.largestPayloadBytes > PAYLOAD_LIMIT_BYTES) {
        overLimit({ name: 'States.DataLimitExceeded', message: `state ${stats.largestPayloadState} carried ${stats.largestPayloadBytes} bytes, over the ${PAYLOAD_LIMIT_BYTES}-byte limit` });
      }
      const event = raw as { type: string; state?: { name: string; input?: unknown; output?: unknown } };
      for (const payload of [event.state?.input, event.state?.output]) {
        if (payload === undefined) continue;
        const size = byteLength(payload);
        if (size > stats.largestPayloadBytes) {
          stats.largestPayloadBytes = size;
          stats.largestPayloadState = event.state?.name;
        }
      }
      if (event.type === 'StateEntered' && event.state) {
        const type = this.stateTypes[event.state.name] ?? 'Pass';
        stats.stateTransitions++;
        stats.statesEntered[event.state.name] = (stats.statesEntered[event.state.name] ?? 0) + 1;
        stats.historyEvents += type === 'Map' ? MAP_STATE_EVENTS : (HISTORY_EVENTS[type as keyof typeof HISTORY_EVENTS] ?? 2);
      } else if (event.type === 'MapIterationStarted' || event.type === 'MapIterationSucceeded' || event.type === 'MapIterationFailed') {
        stats.historyEvents += MAP_ITERATION_EVENTS;
      } else if (event.type === 'StateRetried') {
        stats.stateTransitions++;
        stats.historyEvents += HISTORY_EVENTS.Retry;
      }
    }
  }

  private addTotals(stats: ExecutionStats): ExecutionStats {
    this.totals.stateTransitions += stats.stateTransitions;
    this.totals.historyEvents += stats.historyEvents;
    this.totals.lambdaInvocations += stats.lambdaInvocations;
    this.totals.largestPayloadBytes = Math.max(this.totals.largestPayloadBytes, stats.largestPayloadBytes);
    return stats;
  }
}

function emptyStats(): ExecutionStats {
  return { stateTransitions: 0, historyEvents: 0, lambdaInvocations: 0, largestPayloadBytes: 0, statesEntered: {} };
}

function withVirtualStartTime(input: unknown, startTime: string): unknown {
  if (input && typeof input === 'object' && 'executionStartTime' in input) return { ...input, executionStartTime: startTime };
  return input;
}

const byteLength = (v: unknown) => Buffer.byteLength(JSON.stringify(v) ?? '');

/** How long a Wait state waits for this input (Seconds, SecondsPath, Timestamp, TimestampPath). */
function waitMilliseconds(wait: Record<string, unknown>, input: unknown, now: Date): number {
  const at = (path: string): unknown => {
    if (!path.startsWith('$.')) throw new Error(`unsupported path ${path}`);
    return path.slice(2).split('.').reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], input);
  };
  if (typeof wait.Seconds === 'number') return wait.Seconds * 1000;
  if (typeof wait.SecondsPath === 'string') return Number(at(wait.SecondsPath)) * 1000;
  const ts = typeof wait.Timestamp === 'string' ? wait.Timestamp : typeof wait.TimestampPath === 'string' ? String(at(wait.TimestampPath)) : undefined;
  if (ts) return Math.max(0, Date.parse(ts) - now.getTime());
  throw new Error('Wait state without Seconds, SecondsPath, Timestamp or TimestampPath');
}

export function lambdaContext(fnKey: string, timeoutSeconds: number, clock: Clock): Context {
  const started = Date.now();
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: `fsx-backup-local-${fnKey}`,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:fsx-backup-local-${fnKey}`,
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/fsx-backup-local-${fnKey}`,
    logStreamName: `local/${clock.now().toISOString().slice(0, 10)}`,
    getRemainingTimeInMillis: () => timeoutSeconds * 1000 - (Date.now() - started),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
