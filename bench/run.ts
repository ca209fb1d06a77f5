// `npm run bench`: the backup run at fleet sizes of 100, 1,000 and 10,000 targets, through the
// same runner, FSx emulator and DynamoDB Local as the sandbox, beside the naive design of the
// public AWS sample (bench/naive.asl.json). Prints what each design costs in Step Functions
// history, transitions, Lambda invocations, FSx and DynamoDB requests, payload and wall time,
// and checks the budgets of docs/performance.md. Then the burst scenario (bench/burst.ts): N
// policies firing in the same minute, their schedule sync and each run's start lag. Exits 1 when
// a budget fails.
import '../local/env.js';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { RunStore } from '../functions/shared/store/runs.js';
import { localDynamoClient } from '../local/dynamodb.js';
import { generateFleet } from '../local/fsx/index.js';
import { localFsxClient, WorkflowRunner, type ExecutionOutcome } from '../local/runner.js';
import { startSandbox, type Sandbox } from '../local/sandbox.js';
import { readServerlessConfig, stateMachineDefinitionPath } from '../local/serverless-config.js';
import { renderTable } from '../cli/table.js';
import { benchBurst, burstVerdicts, printBurst, type BurstResult } from './burst.js';
import { createNaiveHandlers } from './naive-handlers.js';

const { values: args } = parseArgs({
  options: {
    sizes: { type: 'string', default: '100,1000,10000' },
    repeats: { type: 'string', default: '3' },
    'large-repeats': { type: 'string', default: '1' },
    duration: { type: 'string', default: '2' },
    'naive-max-seconds': { type: 'string', default: '300' },
    'no-naive': { type: 'boolean', default: false },
    burst: { type: 'string', default: '500' },
    'no-burst': { type: 'boolean', default: false },
    'burst-only': { type: 'boolean', default: false },
    json: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (args.help) {
  console.log(`Usage: npm run bench -- [--sizes 100,1000,10000] [--repeats 3] [--large-repeats 1]
                       [--duration MINUTES] [--naive-max-seconds 300] [--no-naive] [--json FILE]
                       [--burst 500] [--no-burst] [--burst-only]

Runs one policy (every target tagged bench=true, one slot) per fleet size through the backup-run
state machine, and the naive design of bench/naive.asl.json on the same fleet. Sizes below 10,000
run --repeats times (medians are shown), larger ones --large-repeats times. The naive design is
not run at a size where it would take longer than --naive-max-seconds (predicted linearly from the
smaller sizes); its numbers there are extrapolated and labelled so.

Then the burst: --burst N policies (several sizes separated by commas), each cron(0 2 * * ? *) in
Europe/Berlin with one target of its own, all firing in the same minute: schedule sync of the N
policies, a no-op re-sync, a reconcile, and each run's start lag in virtual and in real time.
--no-burst skips it, --burst-only runs nothing else. Exits 1 if a budget fails.`);
  process.exit(0);
}

const sizes = args.sizes.split(',').map((s) => Number(s.trim().replace(/_/g, '')));
if (sizes.some((n) => !Number.isInteger(n) || n < 1)) {
  console.error(`--sizes must be positive integers separated by commas, got "${args.sizes}"`);
  process.exit(2);
}
const burstSizes = args['no-burst'] ? [] : args.burst.split(',').map((s) => Number(s.trim().replace(/_/g, '')));
if (burstSizes.some((n) => !Number.isInteger(n) || n < 1)) {
  console.error(`--burst must be positive integers separated by commas, got "${args.burst}"`);
  process.exit(2);
}
if (args['burst-only'] && burstSizes.length === 0) {
  console.error('--burst-only and --no-burst exclude each other');
  process.exit(2);
}
const durationMinutes = Number(args.duration);
const repeatsFor = (size: number) => Math.max(1, Number(size >= 10_000 ? args['large-repeats'] : args.repeats));
const naiveMaxSeconds = Number(args['naive-max-seconds']);

const BENCH_TAGS = { bench: 'true' };
const HISTORY_LIMIT = 25_000;
const PAYLOAD_LIMIT = 262_144;
const BUDGET = { historyEventsAt10k: 5_000, payloadBytes: 32 * 1024, idsPerDescribe: 50 };
const naiveDefinitionPath = fileURLToPath(new URL('./naive.asl.json', import.meta.url));

/** Step Functions history events per state type, as the runner counts them (AWS's counts). */
const EVENTS_PER_TYPE: Record<string, number> = { Task: 5, Choice: 2, Wait: 2, Succeed: 2, Fail: 2, Pass: 2, Map: 4 };

interface Pass {
  inFlight: number;
  describeCalls: number;
  invocations: number;
}

interface Measurement {
  design: 'ours' | 'naive';
  size: number;
  status: string;
  historyEvents: number;
  stateTransitions: number;
  lambdaInvocations: number;
  fsxCalls: Record<string, number>;
  dynamoRequests: Record<string, number>;
  largestPayloadBytes: number;
  largestPayloadState?: string;
  historyByState: Record<string, number>;
  wallSeconds: number;
  simulatedSeconds: number;
  backupsAvailable: number;
  passes: Pass[];
}

interface SizeResult {
  size: number;
  repeats: number;
  ours: Measurement[];
  naive: Measurement[];
  naiveExtrapolated?: Measurement;
}

// ── helpers ─────────────────────────────────────────────────────────────────────────────────

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length === 0 ? NaN : s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};
const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);
const fmt = (n: number | undefined, digits = 0) =>
  n === undefined || Number.isNaN(n) ? '—' : n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const ratio = (naive: number | undefined, ours: number | undefined) =>
  naive === undefined || ours === undefined || Number.isNaN(naive) ? '—' : ours === 0 ? (naive === 0 ? '—' : '∞') : naive === 0 ? '0' : `${fmt(naive / ours, naive / ours < 10 ? 1 : 0)}×`;

function stateTypesOf(path: string): Record<string, string> {
  const types: Record<string, string> = {};
  const walk = (states: Record<string, Record<string, unknown>>) => {
    for (const [name, s] of Object.entries(states)) {
      types[name] = s.Type as string;
      const proc = (s.ItemProcessor ?? s.Iterator) as { States: Record<string, Record<string, unknown>> } | undefined;
      if (proc) walk(proc.States);
    }
  };
  walk((JSON.parse(readFileSync(path, 'utf8')) as { States: Record<string, Record<string, unknown>> }).States);
  return types;
}

function historyByState(outcome: ExecutionOutcome, types: Record<string, string>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, n] of Object.entries(outcome.stats.statesEntered)) out[name] = n * (EVENTS_PER_TYPE[types[name] ?? 'Pass'] ?? 2);
  return out;
}

function slotOf(sb: Sandbox): string {
  const now = sb.clock.now();
  now.setUTCSeconds(0, 0);
  return now.toISOString().replace('.000Z', 'Z');
}

/**
 * Follows the "Check backups" passes of one execution: a pass is one invocation, or several
 * chained by a cursor. Before a pass starts, the in-flight targets are read from the runs table
 * (through a client of its own, so these reads are not in the DynamoDB counts); DescribeBackups
 * calls are the emulator's request counts between the start of a Check invocation and the next
 * task (only Wait and Choice states lie between them).
 */
class PassTracker {
  passes: Pass[] = [];
  measureMs = 0;
  private open?: { pass: Pass; describeBefore: number };
  private scope?: { policyId: string; slot: string };

  constructor(
    private readonly sbRef: () => Sandbox,
    private readonly truth: RunStore,
  ) {}

  reset(policyId: string, slot: string): void {
    this.passes = [];
    this.measureMs = 0;
    this.open = undefined;
    this.scope = { policyId, slot };
  }

  private describeCalls(): number {
    return this.sbRef().fsx.calls.DescribeBackups ?? 0;
  }

  close(): void {
    if (this.open) this.open.pass.describeCalls += this.describeCalls() - this.open.describeBefore;
    this.open = undefined;
  }

  async before(task: string, input: unknown): Promise<void> {
    this.close();
    if (task !== 'Check backups' || !this.scope) return;
    const progress = (input as { progress?: { phase?: string; cursor?: unknown } }).progress;
    const continuing = progress?.phase === 'check' && progress.cursor !== undefined;
    let pass = this.passes.at(-1);
    if (!continuing || !pass) {
      const t0 = performance.now();
      const targets = await this.truth.allTargets(this.scope.policyId, this.scope.slot);
      this.measureMs += performance.now() - t0;
      pass = { inFlight: targets.filter((t) => t.status === 'IN_PROGRESS' && t.backupId).length, describeCalls: 0, invocations: 0 };
      this.passes.push(pass);
    }
    pass.invocations++;
    this.open = { pass, describeBefore: this.describeCalls() };
  }
}

// ── one fleet size ──────────────────────────────────────────────────────────────────────────

async function benchSize(size: number, naivePlan: 'run' | 'skip'): Promise<SizeResult> {
  const repeats = repeatsFor(size);
  const fleet = generateFleet({ size, durationMinutes, tags: BENCH_TAGS });
  let sbVar: Sandbox | undefined;
  const sbRef = () => sbVar as Sandbox;
  let tracker: PassTracker | undefined;
  const sb = await startSandbox({ fleet, start: '2026-12-04T00:00:00Z', beforeTask: (task, input) => tracker?.before(task, input) });
  sbVar = sb;
  const result: SizeResult = { size, repeats, ours: [], naive: [] };
  const truthClient = localDynamoClient(sb.dynamo.endpoint);
  try {
    const truth = new RunStore(DynamoDBDocumentClient.from(truthClient), sb.config.runsTable);
    tracker = new PassTracker(sbRef, truth);

    const dynamoRequests: Record<string, number> = {};
    sb.dynamo.client.middlewareStack.add(
      (next, context) => async (a) => {
        const name = (context.commandName ?? 'unknown').replace(/Command$/, '');
        dynamoRequests[name] = (dynamoRequests[name] ?? 0) + 1;
        return next(a);
      },
      { step: 'initialize', name: 'benchCountDynamoRequests' },
    );
    const resetDynamo = () => {
      for (const k of Object.keys(dynamoRequests)) delete dynamoRequests[k];
    };

    const oursTypes = stateTypesOf(stateMachineDefinitionPath(readServerlessConfig(), 'backupRun'));
    const naiveTypes = stateTypesOf(naiveDefinitionPath);
    const naive = createNaiveHandlers({ fsx: localFsxClient(sb.fsx.endpoint), clock: sb.clock, tags: BENCH_TAGS });
    const naiveRunner = new WorkflowRunner({
      clock: sb.clock,
      config: sb.config,
      fsxEndpoint: sb.fsx.endpoint,
      dynamodb: sb.dynamo.client,
      stateMachineKey: 'naive',
      definitionPath: naiveDefinitionPath,
      handlers: naive.handlers,
      // Measured to the end, however far past the limits AWS enforces it goes.
      enforceLimits: false,
    });

    for (let rep = 1; rep <= repeats; rep++) {
      // ── ours ──
      sb.fsx.reset();
      const policyId = `bench-${size}-${rep}`;
      await sb.putPolicy({
        policyId,
        enabled: true,
        schedule: { expression: 'cron(0 2 * * ? *)', timezone: 'UTC', startWindowMinutes: 60, completionWindowMinutes: 720 },
        targets: { tags: BENCH_TAGS },
      });
      const slot = slotOf(sb);
      tracker.reset(policyId, slot);
      resetDynamo();
      sb.fsx.resetCalls();
      const virtual0 = sb.clock.now().getTime();
      const t0 = performance.now();
      const outcome = await sb.runner.execute({ policyId, scheduledTime: slot, trigger: 'schedule' });
      const wallMs = performance.now() - t0;
      tracker.close();
      const fsxCalls = { ...sb.fsx.calls };
      const dynamo = { ...dynamoRequests };
      const run = await truth.getRun(policyId, slot);
      const available = sb.fsx.backups().filter((b) => b.Lifecycle === 'AVAILABLE').length;
      result.ours.push({
        design: 'ours',
        size,
        status: `${outcome.status}/${run?.status ?? '?'}`,
        historyEvents: outcome.stats.historyEvents,
        stateTransitions: outcome.stats.stateTransitions,
        lambdaInvocations: outcome.stats.lambdaInvocations,
        fsxCalls,
        dynamoRequests: dynamo,
        largestPayloadBytes: outcome.stats.largestPayloadBytes,
        largestPayloadState: outcome.stats.largestPayloadState,
        historyByState: historyByState(outcome, oursTypes),
        wallSeconds: (wallMs - tracker.measureMs) / 1000,
        simulatedSeconds: (sb.clock.now().getTime() - virtual0) / 1000,
        backupsAvailable: available,
        passes: tracker.passes,
      });
      progressLine(result.ours.at(-1) as Measurement, rep, repeats);

      // ── naive ──
      if (naivePlan === 'skip') continue;
      sb.fsx.reset();
      const naiveSlot = slotOf(sb);
      resetDynamo();
      const nv0 = sb.clock.now().getTime();
      const n0 = performance.now();
      let naiveOutcome: ExecutionOutcome;
      try {
        naiveOutcome = await naiveRunner.execute({ policyId: `naive-${size}-${rep}`, scheduledTime: naiveSlot });
      } finally {
        naive.unpark();
      }
      const naiveWall = performance.now() - n0;
      result.naive.push({
        design: 'naive',
        size,
        status: naiveOutcome.status + (naiveOutcome.error ? ` (${naiveOutcome.error.name}: ${naiveOutcome.error.message})` : ''),
        historyEvents: naiveOutcome.stats.historyEvents,
        stateTransitions: naiveOutcome.stats.stateTransitions,
        lambdaInvocations: naiveOutcome.stats.lambdaInvocations,
        fsxCalls: { ...sb.fsx.calls },
        dynamoRequests: { ...dynamoRequests },
        largestPayloadBytes: naiveOutcome.stats.largestPayloadBytes,
        largestPayloadState: naiveOutcome.stats.largestPayloadState,
        historyByState: historyByState(naiveOutcome, naiveTypes),
        wallSeconds: naiveWall / 1000,
        simulatedSeconds: (sb.clock.now().getTime() - nv0) / 1000,
        backupsAvailable: sb.fsx.backups().filter((b) => b.Lifecycle === 'AVAILABLE').length,
        passes: [],
      });
      progressLine(result.naive.at(-1) as Measurement, rep, repeats);
    }
  } finally {
    truthClient.destroy();
    await sb.stop();
  }
  return result;
}

function progressLine(m: Measurement, rep: number, repeats: number): void {
  console.error(
    `  [${m.design} ${fmt(m.size)} #${rep}/${repeats}] ${m.status}, ${fmt(m.backupsAvailable)} backups AVAILABLE, ` +
      `${fmt(m.historyEvents)} history events, ${fmt(m.wallSeconds, 1)} s`,
  );
}

/** The median of each metric over the repeats (counts are deterministic; wall time is not). */
function medianOf(ms: Measurement[]): Measurement | undefined {
  const first = ms[0];
  if (!first) return undefined;
  const keys = (pick: (m: Measurement) => Record<string, number>) => [...new Set(ms.flatMap((m) => Object.keys(pick(m))))];
  const med = (pick: (m: Measurement) => number) => median(ms.map(pick));
  const medRec = (pick: (m: Measurement) => Record<string, number>) =>
    Object.fromEntries(keys(pick).map((k) => [k, median(ms.map((m) => pick(m)[k] ?? 0))]));
  return {
    ...first,
    status: [...new Set(ms.map((m) => m.status))].join(', '),
    historyEvents: med((m) => m.historyEvents),
    stateTransitions: med((m) => m.stateTransitions),
    lambdaInvocations: med((m) => m.lambdaInvocations),
    fsxCalls: medRec((m) => m.fsxCalls),
    dynamoRequests: medRec((m) => m.dynamoRequests),
    largestPayloadBytes: med((m) => m.largestPayloadBytes),
    historyByState: medRec((m) => m.historyByState),
    wallSeconds: med((m) => m.wallSeconds),
    simulatedSeconds: med((m) => m.simulatedSeconds),
    backupsAvailable: med((m) => m.backupsAvailable),
  };
}

/** Naive numbers at a size it was not run at: a straight line through the two largest sizes run. */
function extrapolate(points: Measurement[], size: number): Measurement | undefined {
  const sorted = [...points].sort((a, b) => a.size - b.size);
  const b = sorted.at(-1);
  if (!b) return undefined;
  const a = sorted.length > 1 ? sorted.at(-2) : undefined;
  const line = (pick: (m: Measurement) => number) => {
    if (!a) return Math.round((pick(b) * size) / b.size);
    const slope = (pick(b) - pick(a)) / (b.size - a.size);
    return Math.round(pick(b) + slope * (size - b.size));
  };
  const lineRec = (pick: (m: Measurement) => Record<string, number>) =>
    Object.fromEntries([...new Set([...(a ? Object.keys(pick(a)) : []), ...Object.keys(pick(b))])].map((k) => [k, line((m) => pick(m)[k] ?? 0)]));
  return {
    ...b,
    size,
    status: 'extrapolated',
    historyEvents: line((m) => m.historyEvents),
    stateTransitions: line((m) => m.stateTransitions),
    lambdaInvocations: line((m) => m.lambdaInvocations),
    fsxCalls: lineRec((m) => m.fsxCalls),
    dynamoRequests: lineRec((m) => m.dynamoRequests),
    largestPayloadBytes: line((m) => m.largestPayloadBytes),
    historyByState: lineRec((m) => m.historyByState),
    wallSeconds: line((m) => m.wallSeconds),
    simulatedSeconds: line((m) => m.simulatedSeconds),
    backupsAvailable: size,
  };
}

// ── report ──────────────────────────────────────────────────────────────────────────────────

interface Verdict {
  budget: string;
  size: number;
  measured: string;
  pass: boolean;
}

function describeBudget(m: Measurement): { worst?: Pass; pass: boolean; summary: string } {
  let worst: Pass | undefined;
  let pass = true;
  for (const p of m.passes) {
    const allowed = Math.ceil(p.inFlight / BUDGET.idsPerDescribe);
    if (p.describeCalls > allowed) pass = false;
    if (!worst || p.describeCalls - allowed > worst.describeCalls - Math.ceil(worst.inFlight / BUDGET.idsPerDescribe)) worst = p;
  }
  const summary = m.passes.map((p) => `${fmt(p.describeCalls)}/${fmt(Math.ceil(p.inFlight / BUDGET.idsPerDescribe))}`).join(' ');
  return { worst, pass, summary };
}

function printSize(r: SizeResult): Verdict[] {
  const ours = medianOf(r.ours) as Measurement;
  const naiveRun = medianOf(r.naive);
  const naive = naiveRun ?? r.naiveExtrapolated;
  const naiveLabel = naiveRun ? 'naive' : naive ? 'naive (extrapolated)' : 'naive';
  const repeatsNote = r.repeats > 1 ? `medians of ${r.repeats} runs` : '1 run';
  console.log(`\n== ${fmt(r.size)} targets — backups take ${durationMinutes} min; ${repeatsNote} ==`);
  const ops = [...new Set([...Object.keys(ours.fsxCalls), ...Object.keys(naive?.fsxCalls ?? {})])].sort();
  const dynOps = [...new Set([...Object.keys(ours.dynamoRequests), ...Object.keys(naive?.dynamoRequests ?? {})])].sort();
  const row = (label: string, o: number | undefined, n: number | undefined, digits = 0) => [label, fmt(o, digits), fmt(n, digits), ratio(n, o)];
  const rows = [
    row('history events', ours.historyEvents, naive?.historyEvents),
    row('state transitions', ours.stateTransitions, naive?.stateTransitions),
    row('Lambda invocations', ours.lambdaInvocations, naive?.lambdaInvocations),
    ...ops.map((op) => row(`FSx ${op}`, ours.fsxCalls[op] ?? 0, naive?.fsxCalls[op] ?? 0)),
    row('FSx calls, total', sum(ours.fsxCalls), naive ? sum(naive.fsxCalls) : undefined),
    ...dynOps.map((op) => row(`DynamoDB ${op}`, ours.dynamoRequests[op] ?? 0, naive?.dynamoRequests[op] ?? 0)),
    row('DynamoDB requests, total', sum(ours.dynamoRequests), naive ? sum(naive.dynamoRequests) : undefined),
    row('largest state payload (bytes)', ours.largestPayloadBytes, naive?.largestPayloadBytes),
    row('simulated run time (min)', ours.simulatedSeconds / 60, naive ? naive.simulatedSeconds / 60 : undefined, 1),
    row('wall time (s)', ours.wallSeconds, naive?.wallSeconds, 1),
  ];
  console.log(renderTable(['metric', 'ours', naiveLabel, 'naive/ours'], rows));
  console.log(`  outcome: ours ${ours.status}, ${fmt(ours.backupsAvailable)} backups AVAILABLE; naive ${naive?.status ?? 'not run'}${naiveRun ? `, ${fmt(naiveRun.backupsAvailable)} backups AVAILABLE` : ''}`);
  console.log(`  largest payload at: ours "${ours.largestPayloadState ?? '?'}", naive "${naive?.largestPayloadState ?? '?'}"`);
  const top = (h: Record<string, number>) =>
    Object.entries(h)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 4)
      .map(([k, v]) => `${k} ${fmt(v)}`)
      .join(', ');
  console.log(`  history by state: ours ${top(ours.historyByState)}`);
  if (naive) console.log(`                    naive ${top(naive.historyByState)}`);
  const lastOurs = r.ours.at(-1) as Measurement;
  const d = describeBudget(lastOurs);
  console.log(`  DescribeBackups per poll (calls/ceil(in-flight/50)), by pass: ${d.summary || '—'}`);
  if (naive) {
    const pollsPerTarget = (naive.fsxCalls.DescribeBackups ?? 0) / r.size;
    console.log(`  naive polls: ${fmt(pollsPerTarget, 1)} DescribeBackups per target (one id each), vs ours ${fmt(lastOurs.passes.length)} passes for all targets`);
    if (naive.historyEvents > HISTORY_LIMIT) console.log(`  naive: ${fmt(naive.historyEvents)} history events > ${fmt(HISTORY_LIMIT)}, the hard limit: on AWS the execution would fail (${naiveRun ? 'measured' : 'extrapolated'})`);
    if (naive.largestPayloadBytes > PAYLOAD_LIMIT) console.log(`  naive: largest payload ${fmt(naive.largestPayloadBytes)} bytes > ${fmt(PAYLOAD_LIMIT)}: on AWS "List targets" would fail with States.DataLimitExceeded`);
  }

  const verdicts: Verdict[] = [];
  for (const m of r.ours) {
    const dd = describeBudget(m);
    verdicts.push({
      budget: 'DescribeBackups calls per poll ≤ ceil(in-flight/50)',
      size: r.size,
      measured: dd.worst ? `worst pass ${fmt(dd.worst.describeCalls)} calls for ${fmt(dd.worst.inFlight)} in flight (${m.passes.length} passes)` : 'no passes',
      pass: dd.pass && m.passes.length > 0,
    });
  }
  verdicts.push({
    budget: 'largest payload ≤ 32 KiB',
    size: r.size,
    measured: `${fmt(Math.max(...r.ours.map((m) => m.largestPayloadBytes)))} bytes`,
    pass: r.ours.every((m) => m.largestPayloadBytes <= BUDGET.payloadBytes),
  });
  if (r.size >= 10_000) {
    verdicts.push({
      budget: 'history events ≤ 5,000 at 10,000 targets',
      size: r.size,
      measured: fmt(Math.max(...r.ours.map((m) => m.historyEvents))),
      pass: r.ours.every((m) => m.historyEvents <= BUDGET.historyEventsAt10k),
    });
  }
  verdicts.push({
    budget: 'every target backed up, run SUCCEEDED',
    size: r.size,
    measured: r.ours.map((m) => `${m.status} ${fmt(m.backupsAvailable)}`).join('; '),
    pass: r.ours.every((m) => m.status === 'SUCCEEDED/SUCCEEDED' && m.backupsAvailable === r.size),
  });
  return verdicts;
}

// ── main ────────────────────────────────────────────────────────────────────────────────────

const cpu = cpus();
console.log(`fsx-backup bench — ${cpu.length} cores (${cpu[0]?.model ?? 'unknown CPU'}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`);
console.log(`fleets from generateFleet (all four FSx types in turn, tagged bench=true), backups take ${durationMinutes} min; one policy, one slot`);
console.log(`params: startBatchSize ${readServerlessConfig().params.default.startBatchSize}, checkBatchSize ${readServerlessConfig().params.default.checkBatchSize}, poll ${readServerlessConfig().params.default.pollInitialSeconds} s doubling to ${readServerlessConfig().params.default.pollMaxSeconds} s; naive: Map MaxConcurrency 40, fixed 30 s Wait`);

const results: SizeResult[] = [];
const verdicts: Verdict[] = [];
const benchStart = performance.now();
for (const size of args['burst-only'] ? [] : [...sizes].sort((a, b) => a - b)) {
  // Predict the naive design's wall time from the sizes already run; skip it when too slow.
  const naivePoints = results.map((r) => medianOf(r.naive)).filter((m): m is Measurement => m !== undefined);
  const predicted = extrapolate(naivePoints, size)?.wallSeconds;
  const plan = args['no-naive'] || (predicted !== undefined && predicted * repeatsFor(size) > naiveMaxSeconds) ? 'skip' : 'run';
  console.error(`\n${fmt(size)} targets${plan === 'skip' && !args['no-naive'] ? ` (naive not run: predicted ${fmt(predicted, 0)} s > ${naiveMaxSeconds} s)` : ''}`);
  const r = await benchSize(size, plan);
  if (plan === 'skip' && !args['no-naive']) r.naiveExtrapolated = extrapolate(naivePoints, size);
  results.push(r);
  verdicts.push(...printSize(r));
}

const bursts: BurstResult[] = [];
for (const n of burstSizes) {
  console.error(`\nburst of ${fmt(n)} policies`);
  const b = await benchBurst(n, { durationMinutes });
  bursts.push(b);
  verdicts.push(...burstVerdicts(b));
}
printBurst(bursts);

console.log('\n== budgets ==');
const merged = new Map<string, Verdict>();
for (const v of verdicts) {
  const key = `${v.budget}@${v.size}`;
  const prev = merged.get(key);
  merged.set(key, prev ? { ...prev, pass: prev.pass && v.pass, measured: prev.pass && !v.pass ? v.measured : prev.measured } : v);
}
console.log(
  renderTable(
    ['verdict', 'targets', 'budget', 'measured'],
    [...merged.values()].map((v) => [v.pass ? 'PASS' : 'FAIL', fmt(v.size), v.budget, v.measured]),
  ),
);
if (!args['burst-only'] && !sizes.includes(10_000)) console.log('(the history budget applies at 10,000 targets, which this run did not include)');
console.log(`\nbench took ${fmt((performance.now() - benchStart) / 1000, 0)} s`);

if (args.json) {
  writeFileSync(args.json, JSON.stringify({ durationMinutes, cores: cpu.length, cpu: cpu[0]?.model, node: process.version, results, bursts, verdicts }, null, 2));
}
const failed = [...merged.values()].filter((v) => !v.pass);
process.exit(failed.length > 0 ? 1 : 0);
