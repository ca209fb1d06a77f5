// Start backups: calls CreateBackup for a batch of pending targets, with the slot's token and
// tags, at the policy's concurrency. Busy targets stay pending until the start window closes.
import {
  BackupInProgress,
  BadRequest,
  CreateBackupCommand,
  FileSystemNotFound,
  IncompatibleParameterError,
  paginateDescribeBackups,
  ServiceLimitExceeded,
  UnsupportedOperation,
  VolumeNotFound,
  type Backup,
} from '@aws-sdk/client-fsx';
import { mapWithConcurrency } from '../shared/concurrency.js';
import type { Deps } from '../shared/deps.js';
import { deriveBackupTags, deriveBackupToken, TAG_MANAGED_BY, TAG_POLICY, TAG_SLOT, TAG_TARGET } from '../shared/domain/tokens.js';
import { errorMessage, errorName } from '../shared/errors.js';
import { carriedCounters, nextWaitSeconds } from '../shared/progress.js';
import type { FsxErrorInfo, TargetItem } from '../shared/store/runs.js';
import type { LoopInput, Progress } from '../shared/task-input.js';

/** FSx answers that no retry of the same request can change. */
const terminalErrors = [FileSystemNotFound, VolumeNotFound, UnsupportedOperation, BadRequest, ServiceLimitExceeded, IncompatibleParameterError];

type Attempt = { started: string } | { busy: FsxErrorInfo } | { retryLater: FsxErrorInfo } | { failed: FsxErrorInfo } | { deferred: true };

/** Time kept in hand at the end of an invocation: starts not begun by then wait for the next pass. */
const TIME_RESERVE_MS = 60_000;

export async function startBackups(
  input: LoopInput,
  deps: Pick<Deps, 'runs' | 'fsx' | 'clock' | 'config' | 'log'>,
  remainingMs: () => number = () => Number.POSITIVE_INFINITY,
): Promise<Progress> {
  const { runs, fsx, clock, config, log } = deps;
  const { policyId, scheduledTime } = input;
  const counters = carriedCounters(input.progress, 'start');
  const run = await runs.getRun(policyId, scheduledTime);
  if (!run || run.status !== 'RUNNING' || !run.settings || !run.startDeadline) {
    return { phase: 'start', pending: 0, inFlight: 0, polls: counters.polls, waitSeconds: config.poll.initialSeconds };
  }
  const settings = run.settings;
  const page = await runs.openTargets(policyId, scheduledTime, config.startBatchSize, counters.cursor);
  const now = clock.now();
  const windowClosed = now.getTime() >= Date.parse(run.startDeadline);
  let { pending, inFlight } = counters;

  const pendingTargets: TargetItem[] = [];
  for (const t of page.targets) {
    if (t.status === 'IN_PROGRESS') inFlight++;
    else pendingTargets.push(t);
  }

  if (windowClosed) {
    for (const t of pendingTargets) await closeStartWindow(t);
  } else {
    const attempts = await mapWithConcurrency(pendingTargets, settings.maxConcurrency, (t) => attemptStart(t));
    const starts: string[] = [];
    for (const [i, attempt] of attempts.entries()) {
      const t = pendingTargets[i] as TargetItem;
      if ('started' in attempt) {
        inFlight++;
        starts.push(attempt.started);
      } else if ('deferred' in attempt) {
        pending++;
      } else if ('failed' in attempt) {
        await runs.updateTarget(policyId, scheduledTime, t.targetId, 'PENDING', {
          status: 'FAILED',
          lastError: attempt.failed,
          reason: `${attempt.failed.name}: ${attempt.failed.message}`,
          finishedAt: now.toISOString(),
        }, { attempts: 1 });
      } else {
        pending++;
        const lastError = 'busy' in attempt ? attempt.busy : attempt.retryLater;
        await runs.updateTarget(policyId, scheduledTime, t.targetId, 'PENDING', { lastError }, { attempts: 1 });
      }
    }
    if (starts.length > 0) await runs.noteFirstBackupStarted(policyId, scheduledTime, starts.sort()[0] as string);
  }

  const progress: Progress = { phase: 'start', pending, inFlight, polls: counters.polls, waitSeconds: 1 };
  if (page.cursor) progress.cursor = page.cursor;
  progress.waitSeconds = nextWaitSeconds(run, counters.polls, pending, config, now);
  log.info('start batch done', { batch: page.targets.length, pending, inFlight, more: Boolean(page.cursor) });
  return progress;

  async function attemptStart(t: TargetItem): Promise<Attempt> {
    // Slow FSx answers or a low maxConcurrency must not run the function into its timeout:
    // what is left stays PENDING for the next pass.
    if (remainingMs() < TIME_RESERVE_MS) return { deferred: true };
    const token = deriveBackupToken({ policyId, targetId: t.targetId, scheduledTime });
    const tags = deriveBackupTags({ policyId, targetId: t.targetId, scheduledTime, backupTags: settings.backupTags, stackName: config.stackName });
    let backup;
    try {
      const out = await fsx.send(
        new CreateBackupCommand({
          ClientRequestToken: token,
          Tags: tags,
          ...(t.resourceType === 'VOLUME' ? { VolumeId: t.targetId } : { FileSystemId: t.targetId }),
        }),
      );
      backup = out.Backup;
    } catch (e: unknown) {
      const info = { name: errorName(e), message: errorMessage(e) };
      if (e instanceof BackupInProgress) return { busy: info };
      if (terminalErrors.some((cls) => e instanceof cls)) return { failed: info };
      // Throttling and server errors the SDK already retried: try again on the next pass.
      log.warn('CreateBackup failed, will retry on the next pass', { targetId: t.targetId, error: info });
      return { retryLater: info };
    }
    // Outside the try: a failure to record the start fails the task, and its retry gets the
    // same backup back from FSx thanks to the token.
    const startedAt = clock.now().toISOString();
    await runs.updateTarget(policyId, scheduledTime, t.targetId, 'PENDING', {
      status: 'IN_PROGRESS',
      backupId: backup?.BackupId,
      lifecycle: backup?.Lifecycle,
      progressPercent: backup?.ProgressPercent ?? 0,
      startedAt,
      lastError: undefined,
    }, { attempts: 1 });
    return { started: startedAt };
  }

  async function closeStartWindow(t: TargetItem): Promise<void> {
    const minutes = Math.round((Date.parse(run!.startDeadline!) - Date.parse(scheduledTime)) / 60_000);
    const last = t.lastError;
    const busy = last?.name === 'BackupInProgress';
    if (last && !busy) {
      // The last CreateBackup failed with no answer (throttled, 5xx, connection lost): FSx may
      // have made the backup all the same. Adopt it rather than fail a target that is backing up.
      const backup = await findSlotBackup(t);
      if (backup) {
        await runs.updateTarget(policyId, scheduledTime, t.targetId, 'PENDING', {
          status: 'IN_PROGRESS',
          backupId: backup.BackupId,
          lifecycle: backup.Lifecycle,
          progressPercent: backup.ProgressPercent ?? 0,
          startedAt: (backup.CreationTime ?? now).toISOString(),
          lastError: undefined,
        });
        inFlight++;
        return;
      }
    }
    const reason = !last
      ? `the ${minutes}-minute start window had closed before the backup could be started`
      : busy
        ? `the ${t.resourceType === 'VOLUME' ? 'volume' : 'file system'} was busy with another backup for the whole ${minutes}-minute start window`
        : `the ${minutes}-minute start window closed after ${t.attempts} attempts; last error ${last.name}: ${last.message}`;
    await runs.updateTarget(policyId, scheduledTime, t.targetId, 'PENDING', {
      status: last && !busy ? 'FAILED' : 'SKIPPED',
      reason,
      finishedAt: now.toISOString(),
    });
  }

  /** This slot's backup of the target, found by the tags every backup of a slot carries. */
  async function findSlotBackup(t: TargetItem): Promise<Backup | undefined> {
    const expected = new Map(
      deriveBackupTags({ policyId, targetId: t.targetId, scheduledTime, backupTags: settings.backupTags, stackName: config.stackName }).map((tag) => [tag.Key, tag.Value]),
    );
    const identifying = [TAG_MANAGED_BY, TAG_POLICY, TAG_SLOT, TAG_TARGET];
    const filter = { Name: t.resourceType === 'VOLUME' ? ('volume-id' as const) : ('file-system-id' as const), Values: [t.targetId] };
    for await (const page of paginateDescribeBackups({ client: fsx }, { Filters: [filter] })) {
      const match = (page.Backups ?? []).find((b) => identifying.every((key) => b.Tags?.some((tag) => tag.Key === key && tag.Value === expected.get(key))));
      if (match && match.Lifecycle !== 'DELETED') return match;
    }
    return undefined;
  }
}
