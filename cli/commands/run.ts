// `fsx-backup run <policyId> [--wait]`: a manual run through Step Functions for the current minute
// (the slot, named in the input), optionally followed live from DescribeExecution and the runs table.
import { setTimeout as sleep } from 'node:timers/promises';
import { DescribeExecutionCommand, StartExecutionCommand, type DescribeExecutionCommandOutput } from '@aws-sdk/client-sfn';
import type { Command } from 'commander';
import { normalizeSlotTime } from '../../functions/shared/task-input.js';
import type { RunItem, TargetItem } from '../../functions/shared/store/runs.js';
import type { Context } from '../context.js';
import { EXIT, EnvironmentError, NotFoundError } from '../errors.js';
import { commandHint, formatCounts, formatPercent, printJson, runSummary, targetElapsed, targetReason, targetType, targetsTable, truncate, utcSeconds, withoutKeys } from '../format.js';
import { contextOf, wantsJson } from '../kit.js';
import { formatDuration, renderTable } from '../table.js';
import { policyTimezone } from './runs.js';

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('start a manual run of a policy now; the slot is the current minute (a second run in the same minute is the same run)')
    .argument('<policyId>')
    .option('--wait', 'follow the run live until it ends, then print its summary; exit 0 only if it SUCCEEDED')
    .action((policyId: string, opts: { wait?: boolean }, cmd: Command) => run(policyId, opts.wait === true, cmd));
}

interface Started {
  executionArn: string;
  name: string;
  alreadyStarted: boolean;
  /** The slot: the minute the run was asked for, in the execution's input. */
  scheduledTime: string;
}

async function run(policyId: string, wait: boolean, cmd: Command): Promise<void> {
  const ctx = contextOf(cmd);
  const json = wantsJson(cmd);
  const policy = await ctx.policies.getPolicyItem(policyId);
  if (!policy) throw new NotFoundError(`no policy "${policyId}" in ${ctx.tables.policies}; list them with ${commandHint(ctx, 'policies list')}`);
  if (policy.enabled === false) console.error(`Note: policy ${policyId} is disabled, so the run will end POLICY_DISABLED without backing anything up.`);

  // The minute is read once: it is the slot in the input and it names the execution, so every
  // `run` of the same minute is the same execution and the same run.
  const slot = normalizeSlotTime(ctx.now());
  const started = await startManualRun(ctx, policyId, slot);
  if (!json) {
    console.log(`${started.alreadyStarted ? 'Already started this minute' : 'Started'}: a manual run of ${policyId}`);
    console.log(`  execution  ${started.executionArn}`);
    console.log(`  slot       ${slot}`);
  }
  if (!wait) {
    if (json) return printJson({ policyId, ...started });
    console.log(`\nFollow it with ${commandHint(ctx, `runs show ${policyId} ${slot}`)}`);
    return;
  }
  if (!json) console.log('');
  const claimed = await waitForClaim(ctx, policyId, slot, started.executionArn);
  if (!claimed) throw new EnvironmentError(`the execution ended without recording a run: see ${started.executionArn}`);
  const outcome = await follow(ctx, policyId, started.executionArn, slot, json);
  const { execution, run: finalRun, targets } = outcome;
  const ours = finalRun?.executionId === started.executionArn;
  if (json) {
    printJson({
      policyId,
      ...started,
      execution: { status: execution.status, error: execution.error, cause: execution.cause },
      run: finalRun ? withoutKeys(finalRun) : null,
      targets: targets.map(withoutKeys),
    });
  } else {
    console.log('');
    if (finalRun && !ours) console.log(`The slot ${slot} was already taken by ${finalRun.executionId}; this execution backed nothing up. That run:\n`);
    if (execution.status !== 'SUCCEEDED') console.log(`Execution ${execution.status}${execution.error ? `: ${execution.error}${execution.cause ? `: ${execution.cause}` : ''}` : ''}\n`);
    if (finalRun) {
      console.log(runSummary(finalRun, await policyTimezone(ctx, policyId)));
      if (targets.length) console.log(`\n${targetsTable(targets)}`);
    }
  }
  process.exitCode = ours && finalRun?.status === 'SUCCEEDED' ? EXIT.OK : EXIT.NOT_OK;
}

/** `prod-daily-manual-20261204T0107` for slot 2026-12-04T01:07:00Z: names can't hold ':', and one name per slot makes a retry the same run. */
function executionName(policyId: string, slot: string): string {
  return `${policyId}-manual-${slot.slice(0, 16).replace(/[-:]/g, '')}`;
}

async function startManualRun(ctx: Context, policyId: string, slot: string): Promise<Started> {
  const stateMachineArn = await ctx.stateMachineArn();
  const name = executionName(policyId, slot);
  const input = JSON.stringify({ policyId, scheduledTime: slot, trigger: 'manual' });
  try {
    const out = await ctx.sfn.send(new StartExecutionCommand({ stateMachineArn, name, input }));
    return { executionArn: out.executionArn ?? '', name, alreadyStarted: false, scheduledTime: slot };
  } catch (e: unknown) {
    const errorName = e instanceof Error ? e.name : '';
    // Same name, same input, already ended: the run of this minute exists; show it.
    if (errorName === 'ExecutionAlreadyExists') {
      return { executionArn: `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`, name, alreadyStarted: true, scheduledTime: slot };
    }
    if (errorName === 'StateMachineDoesNotExist') {
      throw new EnvironmentError(`the state machine ${stateMachineArn} does not exist: is the stack deployed? npx osls deploy --stage ${ctx.stage}`, { cause: e });
    }
    throw e;
  }
}

async function describe(ctx: Context, executionArn: string): Promise<DescribeExecutionCommandOutput> {
  return ctx.sfn.send(new DescribeExecutionCommand({ executionArn }));
}

/**
 * The run of the slot once Start run has claimed it with this execution's ARN, or, when the
 * execution ended without claiming it (the slot was taken already), whatever run holds it.
 */
async function waitForClaim(ctx: Context, policyId: string, slot: string, executionArn: string): Promise<RunItem | undefined> {
  for (;;) {
    const run = await ctx.runs.getRun(policyId, slot);
    if (run?.executionId === executionArn) return run;
    const execution = await describe(ctx, executionArn);
    if (execution.status !== 'RUNNING') return ctx.runs.getRun(policyId, slot);
    await sleep(ctx.pollMs);
  }
}

interface Followed {
  execution: DescribeExecutionCommandOutput;
  run?: RunItem;
  targets: TargetItem[];
}

/** Polls until the execution ends, redrawing the targets' progress (or a line per change off a terminal). */
async function follow(ctx: Context, policyId: string, executionArn: string, slot: string, quiet: boolean): Promise<Followed> {
  const view = quiet ? undefined : process.stdout.isTTY ? new LiveView() : new ChangeLog();
  for (;;) {
    const execution = await describe(ctx, executionArn);
    const [run, targets] = await Promise.all([ctx.runs.getRun(policyId, slot), ctx.runs.allTargets(policyId, slot)]);
    view?.update(run, targets, ctx.now());
    if (execution.status !== 'RUNNING') return { execution, run, targets };
    // Each look reads every target item: look less often at a large run.
    await sleep(ctx.pollMs * Math.max(1, Math.ceil(targets.length / LOOK_TARGETS_PER_INTERVAL)));
  }
}

function progressRow(t: TargetItem, now: Date): string[] {
  return [t.targetId, targetType(t), t.status, t.lifecycle ?? '', formatPercent(t.progressPercent), formatDuration(targetElapsed(t, now)), targetReason(t)];
}

/** Targets per poll interval of --wait: a run of 10,000 targets is looked at every 10 intervals. */
const LOOK_TARGETS_PER_INTERVAL = 1000;

const PROGRESS_HEADERS = ['TARGET', 'TYPE', 'STATUS', 'LIFECYCLE', 'PROGRESS', 'ELAPSED', 'REASON'];

/** On a terminal: the whole view, redrawn in place. */
class LiveView {
  private drawn = 0;

  update(run: RunItem | undefined, targets: TargetItem[], now: Date): void {
    const width = Math.max(40, (process.stdout.columns || 160) - 1);
    const header = `${utcSeconds(now)}  run ${run?.status ?? 'starting'}${run ? `, targets ${formatCounts(run)}` : ''}`;
    // A run taller than the terminal shows its counts and only the targets not yet backed up,
    // open ones first, so the view can still be redrawn in place.
    const room = Math.max(5, (process.stdout.rows || 40) - 6);
    let shown = targets;
    let note: string | undefined;
    if (targets.length > room) {
      const byStatus = new Map<string, number>();
      for (const t of targets) byStatus.set(t.status, (byStatus.get(t.status) ?? 0) + 1);
      const notDone = targets.filter((t) => t.status !== 'SUCCEEDED').sort((a, b) => openFirst(a) - openFirst(b));
      shown = notDone.slice(0, room);
      note = `${[...byStatus].map(([status, n]) => `${n} ${status}`).join(', ')}; showing ${shown.length} not backed up yet${notDone.length > shown.length ? ` of ${notDone.length}` : ''}`;
    }
    const lines = [header, ...(note ? [note] : []), '', ...renderTable(PROGRESS_HEADERS, shown.map((t) => progressRow(t, now))).split('\n')].map((l) => truncate(l, width));
    const up = this.drawn > 0 ? `\x1b[${this.drawn}F\x1b[0J` : '';
    process.stdout.write(`${up}${lines.join('\n')}\n`);
    this.drawn = lines.length;
  }
}

const openFirst = (t: TargetItem) => (t.status === 'IN_PROGRESS' ? 0 : t.status === 'PENDING' ? 1 : 2);

/** Off a terminal (a log, a pipe): one line per change of the run or of a target. */
class ChangeLog {
  private seen = new Map<string, string>();
  private headed = false;

  update(run: RunItem | undefined, targets: TargetItem[], now: Date): void {
    const at = utcSeconds(now);
    if (!this.headed) {
      this.headed = true;
      console.log(`${'TIME'.padEnd(20)}  ${'TARGET'.padEnd(23)} ${'TYPE'.padEnd(14)} ${'STATUS'.padEnd(11)} ${'LIFECYCLE'.padEnd(12)} ${'PROG'.padStart(4)} ${'ELAPSED'.padStart(7)}  REASON`);
    }
    if (run) {
      const state = `${run.status} ${run.targetCount ?? ''}`;
      if (this.seen.get('run') !== state) {
        this.seen.set('run', state);
        console.log(`${at}  run ${run.status}${run.targetCount !== undefined ? `, ${run.targetCount} target${run.targetCount === 1 ? '' : 's'}` : ''}`);
      }
    }
    for (const t of targets) {
      const state = [t.status, t.lifecycle, t.progressPercent, t.reason].join('|');
      if (this.seen.get(t.targetId) === state) continue;
      this.seen.set(t.targetId, state);
      const [id, type, status, lifecycle, percent, elapsed, reason] = progressRow(t, now);
      console.log(`${at}  ${id?.padEnd(23)} ${type?.padEnd(14)} ${status?.padEnd(11)} ${lifecycle?.padEnd(12)} ${percent?.padStart(4)} ${elapsed?.padStart(7)}  ${reason}`.trimEnd());
    }
  }
}
