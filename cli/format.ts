// Human output shared by the commands: times, target reasons, the run summary and target table.
import { formatLocal } from '../functions/shared/domain/schedule.js';
import type { RunItem, TargetItem } from '../functions/shared/store/runs.js';
import type { Context } from './context.js';
import { formatDuration, renderTable } from './table.js';

/** `2026-12-04 01:00Z`: a UTC time to the minute, for tables. */
export function utc(iso: string | Date | undefined): string {
  if (iso === undefined) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return `${d.toISOString().slice(0, 16).replace('T', ' ')}Z`;
}

/** `2026-12-04 01:00:07Z`: to the second, for events. */
export function utcSeconds(d: Date): string {
  return `${d.toISOString().slice(0, 19).replace('T', ' ')}Z`;
}

export function truncate(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

export function printJson(data: unknown): void {
  process.stdout.write(`${JSON.stringify(data, null, 2)}\n`);
}

/** The same command, with the connection options that reached this one (for hints). */
export function commandHint(ctx: Context, args: string): string {
  const where = ctx.mode === 'local' ? '--local ' : `${ctx.stage !== 'dev' ? `--stage ${ctx.stage} ` : ''}${ctx.region ? `--region ${ctx.region} ` : ''}`;
  return `fsx-backup ${where}${args}`;
}

export function targetType(t: Pick<TargetItem, 'fileSystemType' | 'resourceType'>): string {
  return `${t.fileSystemType}${t.resourceType === 'VOLUME' ? ' volume' : ''}`;
}

/** Why a target ended as it did: the recorded reason, with FSx's error name when it adds something. */
export function targetReason(t: Pick<TargetItem, 'reason' | 'lastError'>): string {
  const reason = t.reason ?? '';
  if (!t.lastError) return reason;
  const error = `${t.lastError.name}: ${t.lastError.message}`;
  if (!reason) return error;
  if (reason.includes(t.lastError.message)) return reason.includes(t.lastError.name) ? reason : `${reason} (${t.lastError.name})`;
  return `${reason} (${error})`;
}

/** Seconds a target's backup has run: to its finish, or to `now` while it runs. */
export function targetElapsed(t: TargetItem, now: Date): number | undefined {
  if (t.durationSeconds !== undefined) return t.durationSeconds;
  if (!t.startedAt) return undefined;
  const end = t.finishedAt ? Date.parse(t.finishedAt) : now.getTime();
  return Math.max(0, Math.round((end - Date.parse(t.startedAt)) / 1000));
}

export function formatPercent(p: number | undefined): string {
  return p === undefined ? '' : `${p}%`;
}

/** Items carry their keys and index copies of them; output shows the run or target itself. */
export function withoutKeys<T extends object>(item: T): T {
  const copy = { ...item } as Record<string, unknown>;
  for (const key of ['pk', 'sk', 'runStatus', 'statusAt']) delete copy[key];
  return copy as T;
}

const countOrder = ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'SKIPPED', 'IN_PROGRESS', 'PENDING'] as const;

export function formatCounts(run: RunItem): string {
  const counts = run.counts;
  if (!counts) return run.targetCount !== undefined ? `${run.targetCount}` : '';
  const parts = countOrder.filter((s) => counts[s] > 0).map((s) => `${counts[s]} ${s}`);
  return `${run.targetCount ?? 0}${parts.length ? ` (${parts.join(', ')})` : ''}`;
}

/** The run's record as `label  value` lines. */
export function runSummary(run: RunItem, timezone: string): string {
  const rows: [string, string | undefined][] = [
    ['Policy', run.policyId],
    ['Slot', `${utc(run.scheduledTime)}${timezone !== 'UTC' ? `  (${formatLocal(new Date(run.scheduledTime), timezone)})` : ''}`],
    ['Trigger', run.trigger],
    ['Status', run.status],
    ['Targets', formatCounts(run)],
    ['Started', utcSecondsOf(run.startedAt)],
    ['Finished', utcSecondsOf(run.finishedAt)],
    ['Start lag', formatDuration(run.startLagSeconds)],
    ['Duration', formatDuration(run.durationSeconds)],
    ['Deadlines', run.startDeadline ? `start by ${utc(run.startDeadline)}, complete by ${utc(run.completionDeadline)}` : undefined],
    ['Execution', run.executionId],
    ['Reason', run.reason],
  ];
  const lines = rows.filter(([, v]) => v !== undefined && v !== '').map(([k, v]) => `${k.padEnd(10)} ${v}`);
  for (const e of run.errors ?? []) lines.push(`${''.padEnd(10)} ${e.path ? `${e.path}: ` : ''}${e.message}`);
  return lines.join('\n');
}

function utcSecondsOf(iso: string | undefined): string | undefined {
  return iso ? utcSeconds(new Date(iso)) : undefined;
}

export function targetsTable(targets: TargetItem[], now?: Date): string {
  return renderTable(
    ['TARGET', 'TYPE', 'STATUS', 'BACKUP', 'LIFECYCLE', 'PROGRESS', 'DURATION', 'REASON'],
    targets.map((t) => [
      t.targetId,
      targetType(t),
      t.status,
      t.backupId ?? '',
      t.lifecycle ?? '',
      formatPercent(t.progressPercent),
      formatDuration(now ? targetElapsed(t, now) : t.durationSeconds),
      targetReason(t),
    ]),
  );
}
