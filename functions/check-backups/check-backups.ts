// Check backups: describes every in-flight backup of a batch, at most 50 ids per call, and
// records lifecycle and progress; ends targets whose backup finished or ran out of time.
import { BackupNotFound, paginateDescribeBackups, type Backup } from '@aws-sdk/client-fsx';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { mapWithConcurrency } from '../shared/concurrency.js';
import type { Deps } from '../shared/deps.js';
import { carriedCounters, nextWaitSeconds } from '../shared/progress.js';
import { errorMessage, errorName } from '../shared/errors.js';
import type { FsxErrorInfo, TargetItem } from '../shared/store/runs.js';
import type { LoopInput, Progress } from '../shared/task-input.js';

const DESCRIBE_LIMIT = 50;
const DESCRIBE_CONCURRENCY = 4;

export async function checkBackups(input: LoopInput, deps: Pick<Deps, 'runs' | 'fsx' | 'clock' | 'config' | 'log' | 'metrics'>): Promise<Progress> {
  const { runs, fsx, clock, config, log, metrics } = deps;
  const { policyId, scheduledTime } = input;
  const counters = carriedCounters(input.progress, 'check');
  const run = await runs.getRun(policyId, scheduledTime);
  if (!run || run.status !== 'RUNNING') {
    return { phase: 'check', pending: 0, inFlight: 0, polls: counters.polls, waitSeconds: config.poll.initialSeconds };
  }
  const page = await runs.openTargets(policyId, scheduledTime, config.checkBatchSize, counters.cursor);
  let { pending, inFlight } = counters;

  const inProgress = page.targets.filter((t) => t.status === 'IN_PROGRESS' && t.backupId);
  pending += page.targets.filter((t) => t.status === 'PENDING').length;

  const batches: TargetItem[][] = [];
  for (let i = 0; i < inProgress.length; i += DESCRIBE_LIMIT) batches.push(inProgress.slice(i, i + DESCRIBE_LIMIT));
  const described = new Map<string, Backup>();
  // Backups FSx could not describe this time (throttling, 5xx after the SDK's retries): they stay
  // in flight until the next poll; a describe error must not end backups that are running.
  const unknown = new Map<string, FsxErrorInfo>();
  await mapWithConcurrency(batches, DESCRIBE_CONCURRENCY, async (batch) => {
    const ids = batch.map((t) => t.backupId as string);
    try {
      for (const b of await describeBackups(ids)) described.set(b.BackupId ?? '', b);
    } catch (e: unknown) {
      const error = { name: errorName(e), message: errorMessage(e) };
      log.warn('DescribeBackups failed; these backups are checked again on the next poll', { backups: ids.length, error });
      for (const id of ids) unknown.set(id, error);
    }
  });

  const now = clock.now();
  const timedOut = run.completionDeadline !== undefined && now.getTime() >= Date.parse(run.completionDeadline);
  const finished = (t: TargetItem) => ({
    finishedAt: now.toISOString(),
    durationSeconds: t.startedAt ? Math.round((now.getTime() - Date.parse(t.startedAt)) / 1000) : undefined,
  });

  for (const t of inProgress) {
    const backup = described.get(t.backupId as string);
    const move = (attrs: Partial<TargetItem>) => runs.updateTarget(policyId, scheduledTime, t.targetId, 'IN_PROGRESS', attrs);
    const describeError = unknown.get(t.backupId as string);
    if (describeError) {
      if (timedOut) {
        await move({ status: 'TIMED_OUT', ...finished(t), lastError: describeError, reason: `its backup ${t.backupId} could not be described when the completion window ended (${describeError.name}: ${describeError.message})` });
      } else {
        inFlight++;
      }
    } else if (!backup) {
      await move({ status: 'FAILED', ...finished(t), lastError: { name: 'BackupNotFound', message: `backup ${t.backupId} no longer exists` }, reason: `backup ${t.backupId} no longer exists (deleted by someone else?)` });
    } else if (backup.Lifecycle === 'AVAILABLE') {
      // The RPO check reads each target's newest good backup from here instead of walking old runs.
      // Recorded before the target moves, so a crash in between is repaired by the repeated step.
      const backupCreatedAt = backup.CreationTime?.toISOString() ?? t.startedAt ?? now.toISOString();
      const good = { backupId: t.backupId as string, backupCreatedAt, scheduledTime, succeededAt: now.toISOString() };
      await runs.recordGoodBackup(policyId, t.targetId, good, Math.floor(now.getTime() / 1000) + config.runHistoryDays * 86_400);
      await move({ status: 'SUCCEEDED', lifecycle: 'AVAILABLE', progressPercent: 100, ...finished(t) });
    } else if (backup.Lifecycle === 'FAILED') {
      const message = backup.FailureDetails?.Message ?? 'FSx reported the backup as FAILED without details';
      await move({ status: 'FAILED', lifecycle: 'FAILED', ...finished(t), lastError: { name: 'BackupFailed', message }, reason: message });
    } else if (backup.Lifecycle === 'DELETED') {
      await move({ status: 'FAILED', lifecycle: 'DELETED', ...finished(t), reason: `backup ${t.backupId} was deleted before it completed` });
    } else if (timedOut) {
      const minutes = Math.round((Date.parse(run.completionDeadline as string) - Date.parse(scheduledTime)) / 60_000);
      await move({
        status: 'TIMED_OUT',
        lifecycle: backup.Lifecycle,
        progressPercent: backup.ProgressPercent,
        ...finished(t),
        reason: `still ${backup.Lifecycle} at ${backup.ProgressPercent ?? 0}% when the ${minutes}-minute completion window ended`,
      });
    } else {
      inFlight++;
      // Record lifecycle changes and progress in steps of 10 points: enough to follow a backup,
      // without one write per target per poll for backups that run for hours.
      const step = (p: number | undefined) => Math.floor((p ?? 0) / 10);
      if (backup.Lifecycle !== t.lifecycle || step(backup.ProgressPercent) !== step(t.progressPercent)) {
        await move({ lifecycle: backup.Lifecycle, progressPercent: backup.ProgressPercent });
      }
    }
  }

  const polls = page.cursor ? counters.polls : counters.polls + 1;
  if (!page.cursor) {
    // One data point per poll of the run, once every batch has been counted.
    const gauge = metrics.singleMetric();
    gauge.addDimension('policyId', policyId);
    gauge.addMetric('InFlightBackups', MetricUnit.Count, inFlight);
  }
  const progress: Progress = { phase: 'check', pending, inFlight, polls, waitSeconds: nextWaitSeconds(run, polls, pending, config, now) };
  if (page.cursor) progress.cursor = page.cursor;
  log.info('check batch done', { batch: page.targets.length, described: inProgress.length, pending, inFlight, more: Boolean(page.cursor) });
  return progress;

  /**
   * Up to 50 ids, every page (FSx may end a page early and hand back a NextToken); when one of
   * the ids is gone the call fails with BackupNotFound, and the ids are asked one by one.
   */
  async function describeBackups(ids: string[]): Promise<Backup[]> {
    try {
      const found: Backup[] = [];
      for await (const p of paginateDescribeBackups({ client: fsx }, { BackupIds: ids })) found.push(...(p.Backups ?? []));
      return found;
    } catch (e: unknown) {
      if (!(e instanceof BackupNotFound) || ids.length === 1) {
        if (e instanceof BackupNotFound) return [];
        throw e;
      }
      const found: Backup[] = [];
      for (const id of ids) found.push(...(await describeBackups([id])));
      return found;
    }
  }
}
