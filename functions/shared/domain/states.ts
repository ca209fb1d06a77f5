// Run and target statuses, how target outcomes roll up into a run status, and how the wait
// between polls grows.

export const targetStatuses = ['PENDING', 'IN_PROGRESS', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'SKIPPED'] as const;
export type TargetStatus = (typeof targetStatuses)[number];

export const terminalTargetStatuses: readonly TargetStatus[] = ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'SKIPPED'];

export const runStatuses = [
  'RUNNING',
  'SUCCEEDED',
  'PARTIAL',
  'FAILED',
  'NO_TARGETS',
  'POLICY_DISABLED',
  'POLICY_NOT_FOUND',
] as const;
export type RunStatus = (typeof runStatuses)[number];

export type TargetCounts = Record<TargetStatus, number>;

export function emptyCounts(): TargetCounts {
  return { PENDING: 0, IN_PROGRESS: 0, SUCCEEDED: 0, FAILED: 0, TIMED_OUT: 0, SKIPPED: 0 };
}

export function countByStatus(targets: readonly { status: TargetStatus }[]): TargetCounts {
  const counts = emptyCounts();
  for (const t of targets) counts[t.status] += 1;
  return counts;
}

/**
 * A run succeeds when every target succeeded, is PARTIAL when some did and others did not,
 * FAILED when none did, NO_TARGETS when the policy selected nothing. Skipped targets count
 * as not backed up: a slot whose only target was busy all window is not a success.
 */
export function rollUpRunStatus(counts: TargetCounts): Exclude<RunStatus, 'RUNNING' | 'POLICY_DISABLED' | 'POLICY_NOT_FOUND'> {
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  if (total === 0) return 'NO_TARGETS';
  if (counts.PENDING > 0 || counts.IN_PROGRESS > 0) {
    throw new Error('a run cannot be rolled up while targets are still pending or in progress');
  }
  if (counts.SUCCEEDED === total) return 'SUCCEEDED';
  if (counts.SUCCEEDED > 0) return 'PARTIAL';
  return 'FAILED';
}

export interface PollSettings {
  initialSeconds: number;
  maxSeconds: number;
}

/** Wait before poll number `polls` (0-based): initial, doubling, capped; never past the deadline. */
export function pollWaitSeconds(polls: number, settings: PollSettings, secondsToDeadline?: number): number {
  const grown = settings.initialSeconds * 2 ** Math.min(polls, 30);
  const capped = Math.min(grown, settings.maxSeconds);
  if (secondsToDeadline === undefined) return capped;
  return Math.max(1, Math.min(capped, Math.ceil(secondsToDeadline)));
}
