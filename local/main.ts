// `npm start`: the product offline, as it lives. Writes the example policies into the policies
// table, lets the stream-driven sync create their schedules, then lets a simulated week pass
// unattended — schedules fire, runs back up the example fleet — and prints the run history.
import './env.js';
import { relative } from 'node:path';
import { parseArgs } from 'node:util';
import { formatLocal } from '../functions/shared/domain/schedule.js';
import type { ScheduleStatus } from '../functions/shared/store/policies.js';
import type { RunItem, TargetItem } from '../functions/shared/store/runs.js';
import { loadFleet } from './fsx/index.js';
import { readPolicyFiles, sandboxConnection, startSandbox, type Sandbox } from './sandbox.js';
import { projectRoot } from './serverless-config.js';
import { truncate, utc } from '../cli/format.js';
import { formatDuration, renderTable } from '../cli/table.js';
import { removeSandboxFile, writeSandboxFile } from '../cli/sandbox-file.js';

const usage = `Usage: npm start -- [--days N] [--start ISO-TIME] [--fleet FILE] [--policies DIR]
       npm start -- --serve [--speed N] [--start ISO-TIME] [--fleet FILE] [--policies DIR]

Runs fsx-backup offline: an FSx emulator seeded from the fleet file, DynamoDB Local with the
project's tables, an EventBridge Scheduler emulator, and the backup-run state machine in
aws-local-stepfunctions with the real Lambda handlers, all on one simulated clock.

  --days N        simulated span, default 7 (a week; fractions allowed, at most 62)
  --start TIME    where the simulated clock starts, default 2026-10-22T00:00:00Z, so the week
                  includes Europe's return to winter time (2026-10-25)
  --fleet FILE    FSx fleet, default examples/fleets/demo.yaml (format: examples/fleets/README.md)
  --policies DIR  policies to load, default examples/policies (format: docs/policy.md)
  --serve         instead of a fixed span, keep the sandbox running for the CLI
                  (npx fsx-backup --local ...) until Ctrl-C: simulated time starts now
                  (or at --start) and flows --speed times faster than real time
  --speed N       with --serve, simulated seconds per real second, default 60`;

let args: { days: string; start?: string; fleet: string; policies: string; serve: boolean; speed: string; help: boolean };
try {
  args = parseArgs({
    options: {
      days: { type: 'string', default: '7' },
      start: { type: 'string' },
      fleet: { type: 'string', default: 'examples/fleets/demo.yaml' },
      policies: { type: 'string', default: 'examples/policies' },
      serve: { type: 'boolean', default: false },
      speed: { type: 'string', default: '60' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  }).values as typeof args;
} catch (e: unknown) {
  console.error(`${e instanceof Error ? e.message : String(e)}\n\n${usage}`);
  process.exit(2);
}
if (args.help) {
  console.log(usage);
  process.exit(0);
}
const days = Number(args.days);
if (!Number.isFinite(days) || days <= 0 || days > 62) fail(`--days must be a number of days above 0 and at most 62, got "${args.days}"`);
// Served, the sandbox lives in the present (to the second) unless told otherwise.
const startArg = args.start ?? (args.serve ? new Date(Math.floor(Date.now() / 1000) * 1000).toISOString() : '2026-10-22T00:00:00Z');
const start = new Date(startArg);
if (Number.isNaN(start.getTime()) || !/\d{4}-\d{2}-\d{2}/.test(startArg)) fail(`--start must be an ISO 8601 time such as 2026-10-22T00:00:00Z, got "${startArg}"`);
const speed = Number(args.speed);
if (!Number.isFinite(speed) || speed < 1 || speed > 100_000) fail(`--speed must be a number from 1 to 100000, got "${args.speed}"`);
const end = new Date(start.getTime() + days * 86_400_000);

function fail(message: string): never {
  console.error(`${message}\n\n${usage}`);
  process.exit(2);
}

const realStart = Date.now();

let fleet;
let policyFiles;
try {
  fleet = loadFleet(args.fleet);
  policyFiles = readPolicyFiles(args.policies);
} catch (e: unknown) {
  fail(e instanceof Error ? e.message : String(e));
}

console.log('fsx-backup sandbox: everything below runs on this machine; nothing talks to AWS.\n');
const sb = await startSandbox({ fleet: args.fleet, start });
try {
  console.log(`  FSx emulator        ${sb.fsx.endpoint}  ${args.fleet}: ${fleet.fileSystems.length} file systems, ${fleet.volumes.length} ONTAP volumes`);
  console.log(`  DynamoDB Local      ${sb.dynamo.endpoint}  tables ${sb.config.policiesTable}, ${sb.config.runsTable}`);
  console.log(`  Scheduler emulator  ${sb.scheduler.endpoint}  schedule group ${sb.scheduling.target.groupName}`);
  console.log(`  Workflow            ${relative(projectRoot, sb.runner.definitionPath)} in aws-local-stepfunctions, real handlers`);
  console.log(`  Clock               simulated, starting ${utc(start)}\n`);

  console.log(`1. The policies of ${args.policies}/ are written to the policies table.`);
  for (const { policy } of policyFiles) await sb.putPolicy(policy);
  await sb.syncSchedules();

  console.log(`2. The table's stream runs the schedule sync, which keeps one schedule per policy and writes its status back:\n`);
  const policies = await Promise.all(policyFiles.map(({ policy }) => sb.scheduling.policies.getPolicyItem(String(policy.policyId))));
  const zones = new Map<string, string>();
  console.log(
    renderTable(
      ['POLICY', 'SCHEDULE', 'TIME ZONE', 'STATUS', 'NEXT RUN (LOCAL)', 'NEXT RUN (UTC)'],
      policies.map((item) => {
        const status = item?.scheduleStatus as ScheduleStatus | undefined;
        const schedule = item?.schedule as { expression?: string; timezone?: string } | undefined;
        zones.set(String(item?.policyId), schedule?.timezone ?? 'UTC');
        const next = status?.nextFireTimes?.[0];
        return [String(item?.policyId), schedule?.expression, schedule?.timezone ?? 'UTC', status ? `${status.state}${status.reason ? `: ${status.reason}` : ''}` : '(not synced)', next?.local ?? '', next?.utc ?? ''];
      }),
    ),
  );

  if (args.serve) await serve(sb, String(policyFiles[0]?.policy.policyId ?? 'prod-daily'));

  console.log(`\n3. ${days} simulated day${days === 1 ? '' : 's'} pass unattended (${utc(start)} → ${utc(end)}): schedules fire, runs back up the fleet.\n`);
  const perDay = new Map<string, Record<string, number>>();
  const outcomes = await sb.runUnattended(end, {
    onRunFinished: ({ scheduledTime, outcome }) => {
      const day = scheduledTime.slice(0, 10);
      const status = (outcome.output as { status?: string } | undefined)?.status ?? 'ERROR';
      const counts = perDay.get(day) ?? {};
      counts[status] = (counts[status] ?? 0) + 1;
      perDay.set(day, counts);
    },
  });
  for (const [day, counts] of [...perDay].sort()) {
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    console.log(`  ${day}  ${String(total).padStart(3)} runs  ${Object.entries(counts).map(([s, n]) => `${n} ${s}`).join(', ')}`);
  }

  const runs: RunItem[] = [];
  for (const { file, policy } of policyFiles) {
    void file;
    runs.push(...(await sb.runner.deps.runs.listRuns(String(policy.policyId), 1000)).reverse());
  }
  runs.sort((a, b) => a.scheduledTime.localeCompare(b.scheduledTime) || a.policyId.localeCompare(b.policyId));
  await printHistory(runs, zones);

  const backups = sb.fsx.backups().filter((b) => b.Type === 'USER_INITIATED');
  console.log(`\nThe FSx emulator now holds ${backups.length} backups made by ${outcomes.length} runs (${backups.filter((b) => b.Lifecycle === 'AVAILABLE').length} AVAILABLE), one per target per slot.`);
  console.log(`${days} simulated day${days === 1 ? '' : 's'} took ${((Date.now() - realStart) / 1000).toFixed(1)} s of real time.\n`);
  console.log(`Look further:
  npm start -- --serve                 keep a sandbox up, then in another terminal try the CLI:
                                       npx fsx-backup --local run prod-daily --wait (docs/cli.md)
  npm start -- --days 14               a longer span (or --start, --fleet, --policies; --help)
  examples/policies/*.yaml             the policies above; docs/policy.md explains every field
  examples/fleets/demo.yaml            the simulated FSx fleet; docs/fsx-emulator.md
  docs/architecture.md                 how a run works, the runs table, schedules, permissions
  docs/operating.md                    statuses and what to do, the console, alarms, RPO check
  docs/schedules.md                    how schedules fire, daylight saving included
  npm test                             the behaviour, proven against the emulators and DynamoDB Local`);
} finally {
  await sb.stop();
}

/**
 * --serve: lets simulated time flow with the wall clock, `speed` times faster, and keeps the
 * sandbox up for the CLI (`--local`, through the connection file) until SIGINT or SIGTERM;
 * then stops it and ends the process.
 */
async function serve(sb: Sandbox, example: string): Promise<never> {
  const controller = new AbortController();
  const stopped = new Promise<void>((resolve) => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => {
        controller.abort();
        resolve();
      });
    }
  });
  sb.clock.pace(speed);
  const file = writeSandboxFile(sandboxConnection(sb, speed));
  // Paced time lags the wall clock a little (timers run late); a fresh reading keeps the CLI's estimate close.
  const refresh = setInterval(() => writeSandboxFile(sandboxConnection(sb, speed)), 5_000);
  console.log(`\n3. The sandbox is serving. Simulated time flows ${speed}× real time from ${utc(sb.clock.now())}${speed === 60 ? ' (a real second is a simulated minute)' : ''}; schedules fire as they fall due.

   Connection file: ${relative(process.cwd(), file) || file}
   In another terminal:
     npx fsx-backup --local policies list
     npx fsx-backup --local run ${example} --wait
     npx fsx-backup --local runs list
     npx fsx-backup --local backups list --policy ${example}
   Ctrl-C stops the sandbox.
`);
  let exitCode = 0;
  try {
    await Promise.race([
      sb.runUnattended(new Date(start.getTime() + 100 * 365 * 86_400_000), {
        onRunStarted: ({ policyId, scheduledTime, at }) => controller.signal.aborted || console.log(`  ${utc(at)}  ${policyId.padEnd(20)} slot ${utc(scheduledTime)}  started`),
        onRunFinished: ({ policyId, scheduledTime, at, outcome }) => {
          const summary = outcome.output as { status?: string; reason?: string } | undefined;
          const result = outcome.status === 'SUCCEEDED' ? `${summary?.status ?? '?'}${summary?.reason ? `: ${truncate(summary.reason, 100)}` : ''}` : `execution ${outcome.status}: ${outcome.error?.name ?? ''} ${outcome.error?.message ?? ''}`;
          console.log(`  ${utc(at)}  ${policyId.padEnd(20)} slot ${utc(scheduledTime)}  ${result}`);
        },
      }, controller.signal),
      stopped,
    ]);
  } catch (e: unknown) {
    console.error(`The sandbox failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    exitCode = 1;
  }
  clearInterval(refresh);
  console.log('\nStopping the sandbox…');
  removeSandboxFile(file);
  await sb.stop();
  process.exit(exitCode);
}

async function printHistory(runs: RunItem[], zones: Map<string, string>) {
  // Policies that run more than daily are summarized: their successful runs are counted, not listed.
  const perPolicy = new Map<string, RunItem[]>();
  for (const r of runs) perPolicy.set(r.policyId, [...(perPolicy.get(r.policyId) ?? []), r]);
  const frequent = new Set([...perPolicy].filter(([, rs]) => rs.length > days * 1.5).map(([id]) => id));
  const shown = runs.filter((r) => !frequent.has(r.policyId) || r.status !== 'SUCCEEDED');

  console.log('\nRun history (the runs table: one item per run):\n');
  console.log(
    renderTable(
      ['POLICY', 'SLOT (LOCAL)', 'SLOT (UTC)', 'STATUS', 'TARGETS', 'OK', 'FAILED', 'TIMED OUT', 'SKIPPED', 'START LAG', 'DURATION', 'REASON'],
      shown.map((r) => [
        r.policyId,
        formatLocal(new Date(r.scheduledTime), zones.get(r.policyId) ?? 'UTC'),
        utc(r.scheduledTime),
        r.status,
        r.targetCount ?? 0,
        r.counts?.SUCCEEDED ?? 0,
        r.counts?.FAILED ?? 0,
        r.counts?.TIMED_OUT ?? 0,
        r.counts?.SKIPPED ?? 0,
        formatDuration(r.startLagSeconds),
        formatDuration(r.durationSeconds),
        truncate(r.reason ?? '', 110),
      ]),
    ),
  );
  for (const id of frequent) {
    const rs = perPolicy.get(id) ?? [];
    console.log(`  (${id}: ${rs.length} runs, of which the ${rs.filter((r) => r.status === 'SUCCEEDED').length} SUCCEEDED ones are not listed)`);
  }

  console.log("\nTargets of each policy's latest run (the runs table: one item per target of a run):\n");
  const rows: (string | number | undefined)[][] = [];
  for (const [policyId, rs] of perPolicy) {
    const latest = rs[rs.length - 1];
    if (!latest) continue;
    const targets: TargetItem[] = await sb.runner.deps.runs.allTargets(policyId, latest.scheduledTime);
    for (const t of targets) {
      rows.push([policyId, utc(latest.scheduledTime), t.targetId, `${t.fileSystemType}${t.resourceType === 'VOLUME' ? ' volume' : ''}`, t.status, t.backupId ?? '', formatDuration(t.durationSeconds), truncate(t.reason ?? '', 100)]);
    }
  }
  console.log(renderTable(['POLICY', 'SLOT (UTC)', 'TARGET', 'TYPE', 'STATUS', 'BACKUP', 'DURATION', 'REASON'], rows));
}
