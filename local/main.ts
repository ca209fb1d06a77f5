// `npm start`: the product offline. Starts the sandbox, loads the example policies and fleet,
// runs every slot that falls due in a simulated span of time, and prints the run history.
import './env.js';
import { relative } from 'node:path';
import { parseArgs } from 'node:util';
import { parsePolicy } from '../functions/shared/domain/policy.js';
import { fireTimesBetween } from '../functions/shared/domain/schedule.js';
import type { RunItem, TargetItem } from '../functions/shared/store/runs.js';
import { loadFleet } from './fsx/index.js';
import { readPolicyFiles, startSandbox, type Sandbox } from './sandbox.js';
import { projectRoot } from './serverless-config.js';
import { formatDuration, renderTable } from './table.js';

const { values: args } = parseArgs({
  options: {
    fleet: { type: 'string', default: 'examples/fleets/demo.yaml' },
    policies: { type: 'string', default: 'examples/policies' },
    start: { type: 'string', default: '2026-12-04T00:00:00Z' },
    hours: { type: 'string', default: '25' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (args.help) {
  console.log(`Usage: npm start -- [--fleet FILE] [--policies DIR] [--start ISO-TIME] [--hours N]

Runs fsx-backup offline: an FSx emulator seeded from the fleet file, DynamoDB Local, and the
backup-run state machine in aws-local-stepfunctions, all on one simulated clock. Every enabled
policy's slots between --start and --start + --hours are run, then the run history is printed.`);
  process.exit(0);
}

const hours = Number(args.hours);
if (!Number.isFinite(hours) || hours <= 0 || hours > 24 * 31) {
  console.error(`--hours must be a number of hours between 0 and 744, got "${args.hours}"`);
  process.exit(2);
}
const start = new Date(args.start);
if (Number.isNaN(start.getTime())) {
  console.error(`--start must be an ISO 8601 time such as 2026-12-04T00:00:00Z, got "${args.start}"`);
  process.exit(2);
}
const end = new Date(start.getTime() + hours * 3600_000);
const hhmm = (d: Date | string) => new Date(d).toISOString().slice(0, 16).replace('T', ' ') + 'Z';
const realStart = Date.now();

const fleet = loadFleet(args.fleet);
const policyFiles = readPolicyFiles(args.policies);

console.log('fsx-backup sandbox: everything below runs on this machine; nothing talks to AWS.\n');
const sb = await startSandbox({ fleet: args.fleet, start });
try {
  console.log(`  FSx emulator    ${sb.fsx.endpoint}   ${args.fleet}: ${fleet.fileSystems.length} file systems, ${fleet.volumes.length} ONTAP volumes`);
  console.log(`  DynamoDB Local  ${sb.dynamo.endpoint}   tables ${sb.config.policiesTable}, ${sb.config.runsTable}`);
  console.log(`  Workflow        ${relative(projectRoot, sb.runner.definitionPath)} in aws-local-stepfunctions, real handlers\n`);

  console.log(`Policies from ${args.policies}/ (written to the policies table):`);
  const due: { at: Date; policyId: string }[] = [];
  for (const { file, policy } of policyFiles) {
    await sb.putPolicy(policy);
    const parsed = parsePolicy(policy);
    const name = String(policy.policyId ?? relative(projectRoot, file));
    if (!parsed.ok) {
      console.log(`  ${name.padEnd(16)} INVALID: ${parsed.errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`);
      continue;
    }
    const p = parsed.policy;
    const selector = [p.targets.ids.length ? `ids ${p.targets.ids.join(',')}` : '', Object.keys(p.targets.tags).length ? `tags ${Object.entries(p.targets.tags).map(([k, v]) => `${k}=${v}`).join(',')}` : '']
      .filter(Boolean)
      .join(' + ');
    console.log(`  ${p.policyId.padEnd(16)} ${p.enabled ? '' : '(disabled) '}${p.schedule.expression} ${p.schedule.timezone}  ${selector}`);
    if (!p.enabled) continue;
    for (const at of fireTimesBetween(p.schedule.expression, p.schedule.timezone, new Date(start.getTime() - 1), end)) due.push({ at, policyId: p.policyId });
  }
  due.sort((a, b) => a.at.getTime() - b.at.getTime() || a.policyId.localeCompare(b.policyId));

  console.log(`\nSimulating ${hhmm(start)} → ${hhmm(end)}: ${due.length} scheduled slots.`);
  const executions = await runSlots(sb, due);

  const runs: RunItem[] = [];
  for (const { policyId, slot } of executions) {
    const run = await sb.runner.deps.runs.getRun(policyId, slot);
    if (run) runs.push(run);
  }
  printHistory(runs, await Promise.all(runs.map((r) => sb.runner.deps.runs.allTargets(r.policyId, r.scheduledTime))));

  const backups = sb.fsx.backups().filter((b) => b.Type === 'USER_INITIATED');
  console.log(`\nThe FSx emulator now holds ${backups.length} backups made by these runs (${backups.filter((b) => b.Lifecycle === 'AVAILABLE').length} AVAILABLE).`);
  console.log(`${hours} simulated hours took ${((Date.now() - realStart) / 1000).toFixed(1)} s of real time.\n`);
  console.log(`Look further:
  npm start -- --hours 72              a longer span (or --start, --fleet, --policies)
  examples/policies/*.yaml             the policies above; docs/policy.md explains every field
  examples/fleets/demo.yaml            the simulated FSx fleet; docs/fsx-emulator.md
  docs/architecture.md                 how a run works, the runs table, and where to look in the AWS console
  npm test                             the behaviour, proven against the emulator and DynamoDB Local`);
} finally {
  await sb.stop();
}

/** Starts each slot's execution when the simulated clock reaches it; runs overlap as they would on AWS. */
async function runSlots(sandbox: Sandbox, slots: { at: Date; policyId: string }[]) {
  const { clock } = sandbox;
  const started: Promise<{ policyId: string; slot: string }>[] = [];
  clock.enter();
  for (const { at, policyId } of slots) {
    await clock.sleep(at.getTime() - clock.now().getTime());
    const slot = at.toISOString().replace('.000Z', 'Z');
    console.log(`  ${hhmm(clock.now())}  ${policyId.padEnd(16)} run started`);
    started.push(
      sandbox.runner.execute({ policyId, scheduledTime: slot, trigger: 'schedule' }).then((outcome) => {
        const summary = (outcome.output ?? {}) as { status?: string; counts?: Record<string, number> };
        const counts = summary.counts ? Object.entries(summary.counts).filter(([, n]) => n > 0).map(([s, n]) => `${n} ${s}`).join(', ') : '';
        console.log(`  ${hhmm(clock.now())}  ${policyId.padEnd(16)} run of ${hhmm(slot)} ended ${summary.status ?? outcome.error?.name}${counts ? ` (${counts})` : ''}`);
        return { policyId, slot };
      }),
    );
  }
  clock.leave();
  return Promise.all(started);
}

function printHistory(runs: RunItem[], targetsByRun: TargetItem[][]) {
  console.log('\nRun history (one item per run in the runs table):\n');
  console.log(
    renderTable(
      ['POLICY', 'SLOT', 'STATUS', 'TARGETS', 'OK', 'FAILED', 'TIMED OUT', 'SKIPPED', 'START LAG', 'DURATION', 'REASON'],
      runs.map((r) => [
        r.policyId,
        hhmm(r.scheduledTime),
        r.status,
        r.targetCount ?? 0,
        r.counts?.SUCCEEDED ?? 0,
        r.counts?.FAILED ?? 0,
        r.counts?.TIMED_OUT ?? 0,
        r.counts?.SKIPPED ?? 0,
        formatDuration(r.startLagSeconds),
        formatDuration(r.durationSeconds),
        r.reason ?? '',
      ]),
    ),
  );
  // Every target of each policy's latest run, and of every run that did not fully succeed.
  const latest = new Map(runs.map((r, i) => [r.policyId, i]));
  const rows: (string | number | undefined)[][] = [];
  runs.forEach((r, i) => {
    if (latest.get(r.policyId) !== i && r.status === 'SUCCEEDED') return;
    for (const t of targetsByRun[i] ?? []) {
      rows.push([r.policyId, hhmm(r.scheduledTime), t.targetId, `${t.fileSystemType}${t.resourceType === 'VOLUME' ? ' volume' : ''}`, t.status, t.backupId ?? '', formatDuration(t.durationSeconds), t.reason ?? '']);
    }
  });
  console.log('\nTargets (one item per target of a run; latest run of each policy, and every run that did not fully succeed):\n');
  console.log(renderTable(['POLICY', 'SLOT', 'TARGET', 'TYPE', 'STATUS', 'BACKUP', 'DURATION', 'REASON'], rows));
}
