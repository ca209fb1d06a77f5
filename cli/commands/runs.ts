// `fsx-backup runs ...`: the run history from the runs table, and one run with every target.
import { InvalidArgumentError, Option, type Command } from 'commander';
import { runStatuses, type RunStatus } from '../../functions/shared/domain/states.js';
import { normalizeSlotTime } from '../../functions/shared/task-input.js';
import type { Context } from '../context.js';
import { NotFoundError } from '../errors.js';
import { commandHint, printJson, runSummary, targetsTable, truncate, utc, withoutKeys } from '../format.js';
import { contextOf, positiveInt, wantsJson } from '../kit.js';
import { listRuns, parseSince, type Since } from '../run-queries.js';
import { formatDuration, renderTable } from '../table.js';

export function registerRuns(program: Command): void {
  const runs = program.command('runs').description('the run history: one item per run, with every target');

  runs
    .command('list')
    .description('runs, newest first (without --policy and --status: the byRunStatus index is queried once per status and merged)')
    .option('--policy <policyId>', 'runs of this policy only')
    .addOption(new Option('--status <status>', 'runs in this status only').choices(runStatuses))
    .option('--since <when>', 'runs whose slot is at or after this: 90m, 24h, 7d, 2w back, or an ISO 8601 time', sinceArg)
    .option('--limit <n>', 'at most this many runs', positiveInt, 20)
    .action((opts: ListOptions, cmd: Command) => list(opts, cmd));

  runs
    .command('show')
    .description('one run: status, counts, start lag, duration, reason, and every target with its backup, lifecycle and FSx reason')
    .argument('<policyId>')
    .argument('<scheduledTime>', 'the slot, e.g. 2026-12-04T01:00:00Z (any ISO 8601 time with a zone), or "latest"', slotArg)
    .action((policyId: string, slot: string, _opts: unknown, cmd: Command) => show(policyId, slot, cmd));
}

interface ListOptions {
  policy?: string;
  status?: RunStatus;
  since?: Since;
  limit: number;
}

// The arguments' forms are checked while the command line is parsed, before the sandbox or AWS
// is looked for: a bad command line is a usage error (exit 2) wherever it is run.

function sinceArg(value: string): Since {
  const since = parseSince(value);
  if (!since) throw new InvalidArgumentError(`"${value}" is neither a duration (90m, 24h, 7d, 2w) nor an ISO 8601 time (2026-12-01, 2026-12-01T06:00:00Z).`);
  return since;
}

/** "latest", or the slot in its stored form ("2026-12-04T01:00:00Z"). */
function slotArg(value: string): string {
  if (value === 'latest') return value;
  if (!/(Z|[+-]\d{2}:?\d{2})$/i.test(value)) {
    throw new InvalidArgumentError(`"${value}" has no time zone: write the slot in UTC, e.g. 2026-12-04T01:00:00Z (as runs list shows it), or "latest".`);
  }
  try {
    return normalizeSlotTime(value);
  } catch {
    throw new InvalidArgumentError(`"${value}" is not an ISO 8601 time such as 2026-12-04T01:00:00Z, nor "latest".`);
  }
}

async function list(opts: ListOptions, cmd: Command): Promise<void> {
  const ctx = contextOf(cmd);
  const since = opts.since?.resolve(ctx.now());
  const runs = await listRuns(ctx.db, ctx.tables.runs, { policyId: opts.policy, status: opts.status, since, limit: opts.limit });
  if (wantsJson(cmd)) return printJson(runs.map(withoutKeys));
  if (runs.length === 0) {
    console.log(`No runs${opts.policy ? ` of ${opts.policy}` : ''}${opts.status ? ` in status ${opts.status}` : ''}${since ? ` since ${utc(since)}` : ''}.`);
    return;
  }
  console.log(
    renderTable(
      ['POLICY', 'SLOT (UTC)', 'TRIGGER', 'STATUS', 'TARGETS', 'OK', 'FAILED', 'TIMED OUT', 'SKIPPED', 'START LAG', 'DURATION', 'REASON'],
      runs.map((r) => [
        r.policyId,
        utc(r.scheduledTime),
        r.trigger,
        r.status,
        r.targetCount ?? '',
        r.counts?.SUCCEEDED ?? '',
        r.counts?.FAILED ?? '',
        r.counts?.TIMED_OUT ?? '',
        r.counts?.SKIPPED ?? '',
        formatDuration(r.startLagSeconds),
        formatDuration(r.durationSeconds),
        truncate(r.reason ?? '', 100),
      ]),
    ),
  );
}

async function show(policyId: string, scheduledTime: string, cmd: Command): Promise<void> {
  const ctx = contextOf(cmd);
  const slot = await resolveSlot(ctx, policyId, scheduledTime);
  const run = await ctx.runs.getRun(policyId, slot);
  if (!run) throw new NotFoundError(`no run of ${policyId} at ${slot}; list its runs with ${commandHint(ctx, `runs list --policy ${policyId}`)}`);
  const targets = await ctx.runs.allTargets(policyId, slot);
  if (wantsJson(cmd)) return printJson({ run: withoutKeys(run), targets: targets.map(withoutKeys) });
  console.log(runSummary(run, await policyTimezone(ctx, policyId)));
  if (targets.length) console.log(`\n${targetsTable(targets)}`);
}

/** The slot `slotArg` checked, or the newest slot of the policy for "latest". */
async function resolveSlot(ctx: Context, policyId: string, slot: string): Promise<string> {
  if (slot !== 'latest') return slot;
  const [latest] = await ctx.runs.listRuns(policyId, 1);
  if (!latest) throw new NotFoundError(`policy ${policyId} has no runs; list runs with ${commandHint(ctx, 'runs list')}`);
  return latest.scheduledTime;
}

/** The zone the policy reads its schedule in, for local slot times; UTC if it is gone. */
export async function policyTimezone(ctx: Context, policyId: string): Promise<string> {
  const item = await ctx.policies.getPolicyItem(policyId);
  const zone = (item?.schedule as { timezone?: unknown } | undefined)?.timezone;
  return typeof zone === 'string' ? zone : 'UTC';
}
