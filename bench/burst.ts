// The burst scenario of `npm run bench`: N policies, each `cron(0 2 * * ? *)` in Europe/Berlin
// and each selecting one target of generateFleet({ size: N }) by id, all firing in the same
// minute. Measures the schedule sync of N new policies (then a no-op re-sync and a reconcile),
// and, for the burst itself, each run's start lag: in virtual time (the run item) and in real
// time, from the Scheduler emulator's delivery of the invocation to the run's first CreateBackup
// accepted by the FSx emulator. See docs/performance.md, "Burst".
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { TAG_POLICY } from '../functions/shared/domain/tokens.js';
import type { ScheduleStatus } from '../functions/shared/store/policies.js';
import { RunStore, type RunItem } from '../functions/shared/store/runs.js';
import { localDynamoClient } from '../local/dynamodb.js';
import { generateFleet } from '../local/fsx/index.js';
import type { ExecutionOutcome } from '../local/runner.js';
import { startSandbox } from '../local/sandbox.js';
import { renderTable } from '../cli/table.js';
import type { ReconcileReport } from '../functions/reconcile-schedules/reconcile-schedules.js';

export const BURST_TIMEZONE = 'Europe/Berlin';
export const BURST_EXPRESSION = 'cron(0 2 * * ? *)';
/** 02:00 in Berlin on 2026-12-04 (CET, UTC+1). The clock starts 5 minutes before. */
export const BURST_SLOT = '2026-12-04T01:00:00Z';
const CLOCK_START = '2026-12-04T00:55:00Z';
/** 02:30 local: every run (2-minute backups) has ended long before. */
const UNTIL = '2026-12-04T01:30:00Z';

export interface Distribution {
  count: number;
  median: number;
  p90: number;
  max: number;
  min: number;
}

export interface SyncMeasure {
  wallSeconds: number;
  schedulerCalls: Record<string, number>;
}

export interface BurstResult {
  n: number;
  durationMinutes: number;
  sync: SyncMeasure & { schedules: number; inSync: number; recordsPerSecond: number; putSeconds: number };
  resync: SyncMeasure & { schedules: number };
  reconcile: SyncMeasure & { report: ReconcileReport };
  burst: {
    wallSeconds: number;
    runsStarted: number;
    runsSucceeded: number;
    runItemsSucceeded: number;
    backups: number;
    backupsAvailable: number;
    createBackupCalls: number;
    historyEvents: Distribution;
    /** Real ms from delivery of the invocation to the run's first accepted CreateBackup. */
    realLagMs: Distribution;
    /** Real ms from delivery to the start of the run's *Start run* / *Start backups* invocation. */
    toStartRunMs: Distribution;
    toStartBackupsMs: Distribution;
    /** Real ms over which the N deliveries and the N first CreateBackups were spread. */
    deliverySpreadMs: number;
    firstCreateBackupSpreadMs: number;
    /** Virtual seconds: the run items' startLagSeconds, and startedAt − scheduledTime. */
    startLagSeconds: Record<string, number>;
    startedAtLagSeconds: Record<string, number>;
    runsWithoutLag: number;
    dynamoRequests: Record<string, number>;
    fsxCalls: Record<string, number>;
  };
}

export function distribution(xs: number[]): Distribution {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => (s.length === 0 ? NaN : (s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)] as number));
  const mid = Math.floor(s.length / 2);
  const median = s.length === 0 ? NaN : s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
  return { count: s.length, median, p90: at(0.9), max: s.at(-1) ?? NaN, min: s[0] ?? NaN };
}

const histogram = (xs: (number | undefined)[]) => {
  const h: Record<string, number> = {};
  for (const x of xs) h[x === undefined ? 'none' : String(x)] = (h[x === undefined ? 'none' : String(x)] ?? 0) + 1;
  return h;
};

const diffCalls = (after: Record<string, number>, before: Record<string, number>) =>
  Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v - (before[k] ?? 0)]).filter(([, v]) => (v as number) > 0));

/** The policy id a task input belongs to (Start run gets `{ execution: {...} }`, later tasks the run's fields). */
function policyOf(input: unknown): string | undefined {
  const i = input as { policyId?: unknown; execution?: { policyId?: unknown } } | undefined;
  const id = i?.policyId ?? i?.execution?.policyId;
  return typeof id === 'string' ? id : undefined;
}

export async function benchBurst(n: number, opts: { durationMinutes?: number; log?: (line: string) => void } = {}): Promise<BurstResult> {
  const log = opts.log ?? ((line: string) => console.error(line));
  const durationMinutes = opts.durationMinutes ?? 2;
  const fleet = generateFleet({ size: n, durationMinutes });
  // One target per policy: non-ONTAP file systems, and ONTAP volumes (an ONTAP file system id
  // would stand for all its volumes).
  const targetIds = [
    ...fleet.fileSystems.filter((f) => f.type !== 'ONTAP').map((f) => f.id),
    ...fleet.volumes.map((v) => v.id),
  ];
  if (targetIds.length !== n) throw new Error(`expected ${n} targets in the generated fleet, got ${targetIds.length}`);
  const policyIds = targetIds.map((_, i) => `burst-${String(i).padStart(5, '0')}`);

  // Task starts per policy (first Start run, first Start backups), in real time.
  const startRunAt = new Map<string, number>();
  const startBackupsAt = new Map<string, number>();
  const sb = await startSandbox({
    fleet,
    start: CLOCK_START,
    beforeTask: (task, input) => {
      const id = policyOf(input);
      if (!id) return;
      const at = performance.now();
      if (task === 'Start run' && !startRunAt.has(id)) startRunAt.set(id, at);
      if (task === 'Start backups' && !startBackupsAt.has(id)) startBackupsAt.set(id, at);
    },
  });
  const truthClient = localDynamoClient(sb.dynamo.endpoint);
  try {
    const truth = new RunStore(DynamoDBDocumentClient.from(truthClient), sb.config.runsTable);

    // The first accepted CreateBackup of each policy, on the FSx client every execution shares.
    const firstCreateAt = new Map<string, number>();
    let createBackupCalls = 0;
    sb.runner.deps.fsx.middlewareStack.add(
      (next, context) => async (args) => {
        const out = await next(args);
        if (context.commandName === 'CreateBackupCommand') {
          const at = performance.now();
          createBackupCalls++;
          const tags = (args.input as { Tags?: { Key?: string; Value?: string }[] }).Tags ?? [];
          const policyId = tags.find((t) => t.Key === TAG_POLICY)?.Value;
          if (policyId && !firstCreateAt.has(policyId)) firstCreateAt.set(policyId, at);
        }
        return out;
      },
      { step: 'initialize', name: 'benchBurstFirstCreateBackup' },
    );
    const dynamoRequests: Record<string, number> = {};
    sb.dynamo.client.middlewareStack.add(
      (next, context) => async (a) => {
        const name = (context.commandName ?? 'unknown').replace(/Command$/, '');
        dynamoRequests[name] = (dynamoRequests[name] ?? 0) + 1;
        return next(a);
      },
      { step: 'initialize', name: 'benchBurstCountDynamoRequests' },
    );

    // ── 1. sync N new policies ──
    log(`  [burst ${n}] putting ${n} policies and syncing their schedules`);
    const calls0 = { ...sb.scheduler.calls };
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      await sb.putPolicy({
        policyId: policyIds[i],
        enabled: true,
        schedule: { expression: BURST_EXPRESSION, timezone: BURST_TIMEZONE },
        targets: { ids: [targetIds[i]] },
      });
    }
    const tPut = performance.now();
    await sb.syncSchedules();
    const tSync = performance.now();
    const schedules = sb.scheduler.schedules().filter((s) => s.GroupName === sb.scheduling.target.groupName).length;
    const syncCalls = diffCalls(sb.scheduler.calls, calls0);
    let inSync = 0;
    for (const id of policyIds) {
      const status = (await sb.scheduling.policies.getPolicyItem(id))?.scheduleStatus as ScheduleStatus | undefined;
      if (status?.state === 'IN_SYNC') inSync++;
    }

    // ── no-op re-sync: the stream now holds the N status write-backs (own echoes) ──
    const calls1 = { ...sb.scheduler.calls };
    const r0 = performance.now();
    await sb.syncSchedules();
    const resyncWall = performance.now() - r0;
    const resyncCalls = diffCalls(sb.scheduler.calls, calls1);
    const schedulesAfterResync = sb.scheduler.schedules().length;

    // ── reconcile over N policies ──
    const calls2 = { ...sb.scheduler.calls };
    const c0 = performance.now();
    const report = await sb.reconcileSchedules();
    const reconcileWall = performance.now() - c0;
    const reconcileCalls = diffCalls(sb.scheduler.calls, calls2);
    log(`  [burst ${n}] sync ${((tSync - t0) / 1000).toFixed(1)} s, re-sync ${(resyncWall / 1000).toFixed(1)} s, reconcile ${(reconcileWall / 1000).toFixed(1)} s`);

    // ── 2. the burst ──
    for (const k of Object.keys(dynamoRequests)) delete dynamoRequests[k];
    sb.fsx.resetCalls();
    const deliveredAt = new Map<string, number>();
    const outcomes = new Map<string, ExecutionOutcome>();
    const b0 = performance.now();
    await sb.runUnattended(new Date(UNTIL), {
      onRunStarted: (r) => {
        if (!deliveredAt.has(r.policyId)) deliveredAt.set(r.policyId, performance.now());
      },
      onRunFinished: (r) => {
        outcomes.set(r.policyId, r.outcome);
      },
    });
    const burstWall = performance.now() - b0;
    log(`  [burst ${n}] ${outcomes.size} runs ended in ${(burstWall / 1000).toFixed(1)} s`);

    const runs: RunItem[] = [];
    for (const id of policyIds) {
      const run = await truth.getRun(id, BURST_SLOT);
      if (run) runs.push(run);
    }
    const lagOf = (m: Map<string, number>) =>
      policyIds.flatMap((id) => {
        const d = deliveredAt.get(id);
        const t = m.get(id);
        return d === undefined || t === undefined ? [] : [t - d];
      });
    const spread = (xs: Iterable<number>) => {
      const a = [...xs];
      return a.length === 0 ? NaN : Math.max(...a) - Math.min(...a);
    };
    const backups = sb.fsx.backups().filter((b) => b.Tags?.some((t) => t.Key === TAG_POLICY && t.Value?.startsWith('burst-')));
    const startLag = runs.map((r) => r.startLagSeconds);
    const startedAtLag = runs.map((r) => Math.round((Date.parse(r.startedAt) - Date.parse(r.scheduledTime)) / 1000));

    return {
      n,
      durationMinutes,
      sync: {
        wallSeconds: (tSync - t0) / 1000,
        putSeconds: (tPut - t0) / 1000,
        recordsPerSecond: n / ((tSync - tPut) / 1000),
        schedulerCalls: syncCalls,
        schedules,
        inSync,
      },
      resync: { wallSeconds: resyncWall / 1000, schedulerCalls: resyncCalls, schedules: schedulesAfterResync },
      reconcile: { wallSeconds: reconcileWall / 1000, schedulerCalls: reconcileCalls, report },
      burst: {
        wallSeconds: burstWall / 1000,
        runsStarted: deliveredAt.size,
        runsSucceeded: [...outcomes.values()].filter((o) => o.status === 'SUCCEEDED').length,
        runItemsSucceeded: runs.filter((r) => r.status === 'SUCCEEDED').length,
        backups: backups.length,
        backupsAvailable: backups.filter((b) => b.Lifecycle === 'AVAILABLE').length,
        createBackupCalls,
        historyEvents: distribution([...outcomes.values()].map((o) => o.stats.historyEvents)),
        realLagMs: distribution(lagOf(firstCreateAt)),
        toStartRunMs: distribution(lagOf(startRunAt)),
        toStartBackupsMs: distribution(lagOf(startBackupsAt)),
        deliverySpreadMs: spread(deliveredAt.values()),
        firstCreateBackupSpreadMs: spread(firstCreateAt.values()),
        startLagSeconds: histogram(startLag),
        startedAtLagSeconds: histogram(startedAtLag),
        runsWithoutLag: runs.filter((r) => r.startLagSeconds === 0).length,
        dynamoRequests: { ...dynamoRequests },
        fsxCalls: { ...sb.fsx.calls },
      },
    };
  } finally {
    truthClient.destroy();
    await sb.stop();
  }
}

export interface BurstVerdict {
  budget: string;
  size: number;
  measured: string;
  pass: boolean;
}

/** What must hold whatever the machine: counts and virtual time, never real time. */
export function burstVerdicts(r: BurstResult): BurstVerdict[] {
  const writes = (c: Record<string, number>) => Object.entries(c).filter(([k]) => !/^(Get|List)/.test(k)).reduce((a, [, v]) => a + v, 0);
  const lags = Object.entries(r.burst.startLagSeconds).map(([k, v]) => `${k} s ×${v}`).join(', ');
  return [
    {
      budget: 'burst: every policy has its schedule, IN_SYNC',
      size: r.n,
      measured: `${r.sync.schedules} schedules, ${r.sync.inSync} IN_SYNC`,
      pass: r.sync.schedules === r.n && r.sync.inSync === r.n,
    },
    {
      budget: 'burst: re-sync and reconcile write nothing to Scheduler',
      size: r.n,
      measured: `re-sync ${writes(r.resync.schedulerCalls)}, reconcile ${writes(r.reconcile.schedulerCalls)} writes`,
      pass: writes(r.resync.schedulerCalls) === 0 && writes(r.reconcile.schedulerCalls) === 0,
    },
    {
      budget: 'burst: every run SUCCEEDED, one backup each',
      size: r.n,
      measured: `${r.burst.runsSucceeded}/${r.burst.runsStarted} runs, ${r.burst.backupsAvailable} backups AVAILABLE of ${r.burst.backups}`,
      pass: r.burst.runsStarted === r.n && r.burst.runsSucceeded === r.n && r.burst.runItemsSucceeded === r.n && r.burst.backups === r.n && r.burst.backupsAvailable === r.n,
    },
    {
      budget: 'burst: virtual start lag 0 s for every run',
      size: r.n,
      measured: lags || 'no runs',
      pass: r.burst.runsWithoutLag === r.n,
    },
  ];
}

// ── report ──────────────────────────────────────────────────────────────────────────────────

const fmt = (n: number | undefined, digits = 0) =>
  n === undefined || Number.isNaN(n) ? '—' : n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const callsText = (c: Record<string, number>) =>
  Object.keys(c).length === 0 ? 'none' : Object.entries(c).sort().map(([k, v]) => `${k} ${fmt(v)}`).join(', ');
const sumOf = (c: Record<string, number>) => Object.values(c).reduce((a, b) => a + b, 0);
const histText = (h: Record<string, number>) => Object.entries(h).map(([k, v]) => `${k} s ×${fmt(v)}`).join(', ');

/** One table, a column per burst size. */
export function printBurst(results: BurstResult[]): void {
  if (results.length === 0) return;
  const first = results[0] as BurstResult;
  console.log(
    `\n== burst — N policies ${BURST_EXPRESSION} ${BURST_TIMEZONE}, one target each, all firing at 02:00 local (${BURST_SLOT}); backups take ${first.durationMinutes} min ==`,
  );
  const row = (label: string, pick: (r: BurstResult) => string) => [label, ...results.map(pick)];
  const ms = (d: Distribution) => `${fmt(d.min)} / ${fmt(d.median)} / ${fmt(d.p90)} / ${fmt(d.max)}`;
  const rows = [
    row('sync: put N policies, real s', (r) => fmt(r.sync.putSeconds, 1)),
    row('sync: first put → N schedules, real s', (r) => fmt(r.sync.wallSeconds, 1)),
    row('sync: stream records per s (sync only)', (r) => fmt(r.sync.recordsPerSecond, 0)),
    row('sync: Scheduler calls', (r) => callsText(r.sync.schedulerCalls)),
    row('sync: schedules / policies IN_SYNC', (r) => `${fmt(r.sync.schedules)} / ${fmt(r.sync.inSync)}`),
    row('no-op re-sync: real s', (r) => fmt(r.resync.wallSeconds, 2)),
    row('no-op re-sync: Scheduler calls', (r) => callsText(r.resync.schedulerCalls)),
    row('reconcile: real s', (r) => fmt(r.reconcile.wallSeconds, 1)),
    row('reconcile: Scheduler calls', (r) => callsText(r.reconcile.schedulerCalls)),
    row('reconcile: fixed / failed', (r) => `${fmt(sumOf(Object.fromEntries(Object.entries(r.reconcile.report.fixed).map(([k, v]) => [k, v?.length ?? 0]))))} / ${fmt(r.reconcile.report.failed.length)}`),
    row('burst: wall time, real s', (r) => fmt(r.burst.wallSeconds, 1)),
    row('burst: runs started / SUCCEEDED', (r) => `${fmt(r.burst.runsStarted)} / ${fmt(r.burst.runsSucceeded)}`),
    row('burst: backups in FSx / AVAILABLE', (r) => `${fmt(r.burst.backups)} / ${fmt(r.burst.backupsAvailable)}`),
    row('burst: CreateBackup calls (client)', (r) => fmt(r.burst.createBackupCalls)),
    row('burst: history events per run, median', (r) => fmt(r.burst.historyEvents.median)),
    row('burst: DynamoDB requests, total', (r) => fmt(sumOf(r.burst.dynamoRequests))),
    row('burst: FSx calls (emulator)', (r) => callsText(r.burst.fsxCalls)),
    row('virtual start lag (startLagSeconds)', (r) => histText(r.burst.startLagSeconds)),
    row('virtual startedAt − scheduledTime', (r) => histText(r.burst.startedAtLagSeconds)),
    row('real: delivery → Start run, ms (min/med/p90/max)', (r) => ms(r.burst.toStartRunMs)),
    row('real: delivery → Start backups, ms', (r) => ms(r.burst.toStartBackupsMs)),
    row('real: delivery → 1st CreateBackup, ms', (r) => ms(r.burst.realLagMs)),
    row('real: N deliveries spread over, ms', (r) => fmt(r.burst.deliverySpreadMs)),
    row('real: N first CreateBackups spread over, ms', (r) => fmt(r.burst.firstCreateBackupSpreadMs)),
  ];
  console.log(renderTable(['metric', ...results.map((r) => `N = ${fmt(r.n)}`)], rows));
  console.log('  real-time lag is the emulation\'s (one Node process, DynamoDB Local), not AWS\'s; virtual lag is 0 by construction');
}
