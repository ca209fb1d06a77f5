// Finish run: rolls the targets up into the run's status, counts, start lag and duration,
// writes one "run finished" log line and the run's metrics. Safe to repeat.
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Deps } from '../shared/deps.js';
import { countByStatus, rollUpRunStatus, type RunStatus, type TargetCounts } from '../shared/domain/states.js';
import type { RunItem, TargetItem } from '../shared/store/runs.js';

export interface FinishRunInput {
  policyId: string;
  scheduledTime?: string;
  trigger: string;
  /** This execution: only the execution that claimed the slot may finish its run. */
  executionId: string;
  /** Set by the state machine's Catch when a task failed for good. */
  error?: { Error?: string; Cause?: string };
}

export interface RunSummary {
  policyId: string;
  scheduledTime: string;
  status: RunStatus;
  counts?: TargetCounts;
  startLagSeconds?: number;
  durationSeconds?: number;
  reason?: string;
}

export async function finishRun(input: FinishRunInput, deps: Pick<Deps, 'runs' | 'clock' | 'log' | 'metrics'>): Promise<RunSummary> {
  const { runs, clock, log, metrics } = deps;
  const { policyId, scheduledTime = '' } = input;
  const run = scheduledTime ? await runs.getRun(policyId, scheduledTime) : undefined;
  if (!run) {
    // The run failed before it could claim its slot: nothing to record but the execution's own failure.
    // The Cause can be a whole stack trace: the summary is the execution's output, keep it small.
    const reason = input.error ? `${input.error.Error}: ${truncate(input.error.Cause ?? '', 500)}` : 'the run was never recorded';
    log.error('run finished', { status: 'FAILED', reason });
    metrics.addMetric('RunsFAILED', MetricUnit.Count, 1);
    return { policyId, scheduledTime, status: 'FAILED', reason };
  }
  if (run.executionId !== input.executionId) {
    // A second delivery of the slot that failed before it could see the claim: the run belongs
    // to another execution, which goes on; this one changes nothing.
    log.warn('slot owned by another execution; this execution changed nothing', { claimedBy: run.executionId, error: input.error?.Error });
    return { policyId, scheduledTime, status: run.status, reason: `duplicate delivery: the slot belongs to ${run.executionId}` };
  }
  if (run.status !== 'RUNNING') {
    // Ended by Start run (policy disabled, deleted or invalid), or a repeated Finish run.
    const targets = await runs.allTargets(policyId, scheduledTime);
    await report(run, targets);
    return summarize(run);
  }

  const now = clock.now();
  let reason: string | undefined;
  if (input.error) {
    reason = `the run stopped early: ${input.error.Error ?? 'Error'}: ${truncate(input.error.Cause ?? '', 500)}`;
    for (const t of await runs.allTargets(policyId, scheduledTime)) {
      if (t.status === 'PENDING' || t.status === 'IN_PROGRESS') {
        await runs.updateTarget(policyId, scheduledTime, t.targetId, t.status, { status: 'FAILED', reason, finishedAt: now.toISOString() });
      }
    }
  }
  const targets = await runs.allTargets(policyId, scheduledTime);
  const counts = countByStatus(targets);
  // A run that failed before its targets were recorded did not find out what to back up: that
  // is a failure, not "no targets".
  const status = input.error && !run.targetsRecordedAt ? 'FAILED' : rollUpRunStatus(counts);
  reason ??= problemSummary(targets);
  const finished = await runs.finishRun(policyId, scheduledTime, {
    status,
    finishedAt: now.toISOString(),
    counts,
    durationSeconds: Math.round((now.getTime() - Date.parse(run.startedAt)) / 1000),
    startLagSeconds: run.firstBackupStartedAt ? Math.round((Date.parse(run.firstBackupStartedAt) - Date.parse(scheduledTime)) / 1000) : undefined,
    reason,
  });
  await report(finished, targets);
  return summarize(finished);

  /** Metrics and per-target lines, exactly once per run. */
  async function report(r: RunItem, targets: TargetItem[]): Promise<void> {
    if (!(await runs.markReported(policyId, scheduledTime, clock.now().toISOString()))) return;
    recordMetrics(r, targets, deps);
    logTargetsNotBackedUp(targets, deps);
  }

  function summarize(r: RunItem): RunSummary {
    const summary: RunSummary = { policyId, scheduledTime, status: r.status, counts: r.counts, startLagSeconds: r.startLagSeconds, durationSeconds: r.durationSeconds, reason: r.reason };
    const level = r.status === 'SUCCEEDED' || r.status === 'NO_TARGETS' ? 'info' : 'warn';
    log[level]('run finished', { ...summary, trigger: r.trigger, targetCount: r.targetCount ?? 0 });
    return summary;
  }
}

function recordMetrics(run: RunItem, targets: TargetItem[], deps: Pick<Deps, 'metrics'>): void {
  const { metrics } = deps;
  const c = run.counts;
  if (c) {
    metrics.addMetric('BackupsSucceeded', MetricUnit.Count, c.SUCCEEDED);
    metrics.addMetric('BackupsFailed', MetricUnit.Count, c.FAILED);
    metrics.addMetric('BackupsTimedOut', MetricUnit.Count, c.TIMED_OUT);
    metrics.addMetric('BackupsSkipped', MetricUnit.Count, c.SKIPPED);
  }
  metrics.addMetric(`Runs${run.status}`, MetricUnit.Count, 1);
  if (run.startLagSeconds !== undefined) metrics.addMetric('StartLag', MetricUnit.Seconds, run.startLagSeconds);
  if (run.durationSeconds !== undefined) metrics.addMetric('RunDuration', MetricUnit.Seconds, run.durationSeconds);
  // Powertools flushes a metric by itself at 100 values, and a flush drops the dimensions: flush
  // the durations 100 at a time, each batch with the policy dimension.
  const durations = targets.filter((t) => t.status === 'SUCCEEDED' && t.durationSeconds !== undefined).map((t) => t.durationSeconds as number);
  for (let i = 0; i < durations.length; i += METRIC_VALUES_PER_FLUSH) {
    if (i > 0) {
      metrics.publishStoredMetrics();
      metrics.addDimension('policyId', run.policyId);
    }
    for (const d of durations.slice(i, i + METRIC_VALUES_PER_FLUSH)) metrics.addMetric('BackupDuration', MetricUnit.Seconds, d);
  }
}

const METRIC_VALUES_PER_FLUSH = 99;

/** Per-target failure lines for Logs Insights, at most this many per run (the runs table has them all). */
export const TARGET_LINES_PER_RUN = 200;

/** One line per target that was not backed up, so failures can be queried across runs and policies. */
function logTargetsNotBackedUp(targets: TargetItem[], deps: Pick<Deps, 'log'>): void {
  const problems = targets.filter((t) => t.status !== 'SUCCEEDED');
  for (const t of problems.slice(0, TARGET_LINES_PER_RUN)) {
    deps.log.warn('target not backed up', {
      targetId: t.targetId,
      status: t.status,
      reason: truncate(t.reason ?? t.lastError?.message ?? '', 500),
      error: t.lastError?.name,
      backupId: t.backupId,
    });
  }
  if (problems.length > TARGET_LINES_PER_RUN) {
    deps.log.warn('more targets not backed up', { notLogged: problems.length - TARGET_LINES_PER_RUN });
  }
}

/** The first few targets that were not backed up, for the run's reason column. */
function problemSummary(targets: TargetItem[]): string | undefined {
  const problems = targets.filter((t) => t.status !== 'SUCCEEDED');
  if (problems.length === 0) return undefined;
  const shown = problems.slice(0, 3).map((t) => `${t.targetId} ${t.status}: ${truncate(t.reason ?? t.lastError?.message ?? '', 160)}`);
  return shown.join('; ') + (problems.length > 3 ? `; and ${problems.length - 3} more` : '');
}

const truncate = (s: string, n: number) => (s.length > n ? `${s.slice(0, n)}…` : s);
