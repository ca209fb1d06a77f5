// Helpers shared by the two loop tasks: where the next wait ends and how a pass's counters carry.
import type { Config } from './config.js';
import { pollWaitSeconds } from './domain/states.js';
import type { RunItem } from './store/runs.js';
import type { Progress } from './task-input.js';

/**
 * Polls a run may make over its whole completion window, whatever its length: Step Functions
 * fails an execution at 25,000 history events, and one poll costs 2 + 7 per batch of targets.
 */
export const POLLS_PER_WINDOW = 150;

/**
 * Seconds to wait before the next poll: the growing interval, never past the next deadline. The
 * cap grows with long windows (a week-long window polls every hour at most, not every 5 minutes),
 * so a run makes about POLLS_PER_WINDOW polls at most.
 */
export function nextWaitSeconds(run: RunItem, polls: number, pending: number, config: Config, now: Date): number {
  const deadlines = [run.completionDeadline, pending > 0 ? run.startDeadline : undefined]
    .filter((d): d is string => d !== undefined)
    .map((d) => (Date.parse(d) - now.getTime()) / 1000)
    .filter((s) => s > 0);
  const windowSeconds = run.completionDeadline ? (Date.parse(run.completionDeadline) - Date.parse(run.scheduledTime)) / 1000 : 0;
  const poll = { ...config.poll, maxSeconds: Math.max(config.poll.maxSeconds, Math.ceil(windowSeconds / POLLS_PER_WINDOW)) };
  return pollWaitSeconds(polls, poll, deadlines.length > 0 ? Math.min(...deadlines) : undefined);
}

/** Counters of the pass in progress: carried on when the phase continues from a cursor. */
export function carriedCounters(previous: Progress | undefined, phase: Progress['phase']) {
  const continuing = previous?.phase === phase && previous.cursor !== undefined;
  return {
    cursor: continuing ? previous.cursor : undefined,
    pending: continuing ? previous.pending : 0,
    inFlight: continuing ? previous.inFlight : 0,
    polls: previous?.polls ?? 0,
  };
}
