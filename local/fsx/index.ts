// The FSx emulator: FSx's real wire protocol over node:http, backed by a fleet file and the
// shared clock, so the unmodified @aws-sdk/client-fsx can run against it.
import type { Backup } from '@aws-sdk/client-fsx';
import type { Clock } from '../../functions/shared/clock.js';
import { listen } from '../http.js';
import { Faults, type BackupFaultHooks, type FaultControl } from './faults.js';
import { loadFleet, parseFleet, type Fleet, type FleetInput } from './fleet.js';
import { FsxModel, type BackupsQuery } from './model.js';
import { createFsxServer, fleetFromControl } from './server.js';

export { loadFleet, parseFleet, generateFleet, FleetError, DEFAULT_QUOTAS } from './fleet.js';
export type { Fleet, FleetInput, FsxType, GenerateFleetOptions } from './fleet.js';
export type { Fault, FaultInput, FaultControl } from './faults.js';
export type { BackupsQuery } from './model.js';
export { SUPPORTED_OPERATIONS, TARGET_PREFIX } from './server.js';

export interface StartFsxEmulatorOptions {
  /** The shared clock; backup lifecycles are computed from it. */
  clock: Clock;
  /** A fleet object, or the path of a YAML/JSON fleet file. */
  fleet: FleetInput | string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
}

export interface FsxEmulator {
  /** e.g. http://127.0.0.1:PORT, for `new FSxClient({ endpoint })`. */
  readonly endpoint: string;
  /** HTTP requests per FSx operation, faulted ones and SDK retries included. */
  readonly calls: Readonly<Record<string, number>>;
  readonly faults: FaultControl;
  /** Ground truth: every backup as DescribeBackups would show it at clock.now(), oldest first. */
  backups(query?: BackupsQuery): Backup[];
  resetCalls(): void;
  /** Back to the initial state of the given fleet, or of the current one. Clears faults and calls. */
  reset(fleet?: FleetInput | string): void;
  /** Moves a file system or volume to another lifecycle, e.g. MISCONFIGURED. */
  setLifecycle(resourceId: string, lifecycle: string): void;
  close(): Promise<void>;
}

function resolveFleet(fleet: FleetInput | string): Fleet {
  return typeof fleet === 'string' ? loadFleet(fleet) : parseFleet(fleet);
}

export async function startFsxEmulator(opts: StartFsxEmulatorOptions): Promise<FsxEmulator> {
  const { clock, port = 0, host = '127.0.0.1' } = opts;
  let fleet = resolveFleet(opts.fleet);
  const model = new FsxModel(clock, fleet);
  const backupFaultHooks: BackupFaultHooks = {
    apply: (f) =>
      f.kind === 'backupFails' ? model.failBackupsOf(f.resourceId, f.message) : model.neverFinishBackupsOf(f.resourceId),
    clear: () => model.clearBackupFaults(),
  };
  let faults = new Faults(backupFaultHooks, fleet.seed);
  const calls: Record<string, number> = {};
  const resetCalls = () => {
    for (const key of Object.keys(calls)) delete calls[key];
  };
  const reset = (next?: FleetInput | string | Fleet) => {
    if (next !== undefined) fleet = resolveFleet(next);
    model.clearBackupFaults();
    faults = new Faults(backupFaultHooks, fleet.seed);
    ctx.faults = faults;
    model.reset(fleet);
    resetCalls();
  };
  const ctx = {
    clock,
    model,
    faults,
    calls,
    resetCalls,
    reset: (body: unknown) => reset(fleetFromControl(body)),
  };
  const server = createFsxServer(ctx);
  const http = await listen(server, port, host);

  return {
    endpoint: http.endpoint,
    calls,
    get faults() {
      return faults;
    },
    backups: (query) => model.backups(query),
    resetCalls,
    reset,
    setLifecycle: (resourceId, lifecycle) => model.setLifecycle(resourceId, lifecycle),
    close: http.close,
  };
}
