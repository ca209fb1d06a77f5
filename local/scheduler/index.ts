// The EventBridge Scheduler emulator: the service's real REST-JSON protocol over node:http, so the
// unmodified @aws-sdk/client-scheduler runs against it, and programmatic firing on the shared
// clock, so the sandbox decides when the invocations it owes are delivered.
import type { Clock } from '../../functions/shared/clock.js';
import { listen } from '../http.js';
import { SchedulerModel, type DroppedInvocation, type Invocation, type ScheduleState } from './model.js';
import { createSchedulerServer } from './server.js';

export { DEFAULT_GROUP, DEFAULT_RETRY_POLICY, MAX_SCHEDULE_GROUPS, formatScheduledTime } from './model.js';
export type { DroppedInvocation, Invocation, ScheduleState } from './model.js';
export { SUPPORTED_OPERATIONS } from './server.js';

export interface StartSchedulerEmulatorOptions {
  /** The shared clock: schedules fire on its time, and creation dates come from it. */
  clock: Clock;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Region in ARNs; default us-east-1. */
  region?: string;
  /** Account in ARNs; default 123456789012. */
  accountId?: string;
}

export interface SchedulerEmulator {
  /** e.g. http://127.0.0.1:PORT, for `new SchedulerClient({ endpoint })`. */
  readonly endpoint: string;
  /** HTTP requests per Scheduler operation (unknown routes as `METHOD /path`). */
  readonly calls: Record<string, number>;
  /** Ground truth: every schedule at clock.now(), with its next fire time. */
  schedules(): ScheduleState[];
  /** The earliest fire time not yet taken by takeDue (a due one, or the next one owed). */
  nextFireTime(): Date | undefined;
  /**
   * Every invocation due at or before clock.now() not yet delivered, oldest first; marks them
   * delivered. Ones older than their target's MaximumEventAgeInSeconds are dropped instead.
   */
  takeDue(): Invocation[];
  /** Fire times dropped for being older than MaximumEventAgeInSeconds when they were taken. */
  dropped(): DroppedInvocation[];
  close(): Promise<void>;
}

export async function startSchedulerEmulator(opts: StartSchedulerEmulatorOptions): Promise<SchedulerEmulator> {
  const { clock, port = 0, host = '127.0.0.1', region = 'us-east-1', accountId = '123456789012' } = opts;
  const model = new SchedulerModel(clock, region, accountId);
  const calls: Record<string, number> = {};
  const server = createSchedulerServer({ model, calls });
  const http = await listen(server, port, host);

  return {
    endpoint: http.endpoint,
    calls,
    schedules: () => model.schedules(),
    nextFireTime: () => model.nextFireTime(),
    takeDue: () => model.takeDue(),
    dropped: () => model.dropped(),
    close: http.close,
  };
}
