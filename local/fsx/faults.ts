// Injected faults: request-level ones (throttling, 500s, latency, lost responses) decided per
// HTTP request, and backup-level ones (a resource's backups fail or never finish).
import { z } from 'zod';
import { FsxServiceError, internalServerError, throttling } from './errors.js';
import { seededRandom } from './random.js';

const selector = {
  /** FSx operation name, e.g. CreateBackup; every operation when absent. */
  operation: z.string().min(1).optional(),
  /** Fires on the next `count` matching requests (each HTTP request counts, SDK retries included). */
  count: z.number().int().positive().optional(),
  /** Fires on this fraction of matching requests, drawn from a seeded PRNG. */
  rate: z.number().min(0).max(1).optional(),
};

export const faultSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('throttle'), ...selector }).strict(),
  z.object({ kind: z.literal('error500'), ...selector }).strict(),
  z.object({ kind: z.literal('latency'), ms: z.number().int().nonnegative(), ...selector }).strict(),
  z.object({ kind: z.literal('responseLost'), mode: z.enum(['500', 'reset']).prefault('500'), ...selector }).strict(),
  z.object({ kind: z.literal('backupFails'), resourceId: z.string().min(1), message: z.string().min(1).prefault('The backup failed.') }).strict(),
  z.object({ kind: z.literal('backupNeverFinishes'), resourceId: z.string().min(1) }).strict(),
]);

export type FaultInput = z.input<typeof faultSchema>;
export type Fault = z.output<typeof faultSchema>;
type RequestFault = Extract<Fault, { kind: 'throttle' | 'error500' | 'latency' | 'responseLost' }>;
export type BackupFault = Extract<Fault, { kind: 'backupFails' | 'backupNeverFinishes' }>;

/** How backup-level faults reach the model. */
export interface BackupFaultHooks {
  apply(fault: BackupFault): void;
  clear(): void;
}

/** What the server does with one request. */
export interface RequestPlan {
  latencyMs: number;
  /** Answer with this error and skip the operation. */
  reject?: FsxServiceError;
  /** Run the operation, then lose the response. */
  lose?: '500' | 'reset';
}

export interface FaultControl {
  /** Adds one fault or several; throws with a readable message if one is malformed. */
  add(fault: FaultInput | FaultInput[]): Fault[];
  /** Removes every fault. Backups already affected by a backup-level fault keep their fate. */
  clear(): void;
  /** Active faults; request faults with a count show what is left of it. */
  list(): Fault[];
}

export class FaultError extends Error {
  override readonly name = 'FaultError';
}

export class Faults implements FaultControl {
  private active: Fault[] = [];
  private random: () => number;

  constructor(
    private readonly backupFaults: BackupFaultHooks,
    private readonly seed = 1,
  ) {
    this.random = seededRandom(seed);
  }

  add(input: FaultInput | FaultInput[]): Fault[] {
    const inputs = Array.isArray(input) ? input : [input];
    const parsed = inputs.map((f, i) => {
      const result = faultSchema.safeParse(f);
      if (!result.success) throw new FaultError(`invalid fault #${i}:\n${z.prettifyError(result.error)}`, { cause: result.error });
      return result.data;
    });
    for (const fault of parsed) {
      if (fault.kind === 'backupFails' || fault.kind === 'backupNeverFinishes') this.backupFaults.apply(fault);
      this.active.push(fault);
    }
    return this.list();
  }

  clear(): void {
    this.active = [];
    this.random = seededRandom(this.seed);
    this.backupFaults.clear();
  }

  list(): Fault[] {
    return this.active.map((f) => ({ ...f }));
  }

  /** Decides the fate of one request to `operation`, consuming counts of faults that fire. */
  plan(operation: string): RequestPlan {
    const plan: RequestPlan = { latencyMs: 0 };
    const requestFaults = this.active.filter(
      (f): f is RequestFault => f.kind !== 'backupFails' && f.kind !== 'backupNeverFinishes' && (f.operation ?? operation) === operation,
    );
    for (const f of requestFaults.filter((f) => f.kind === 'latency')) {
      if (this.fires(f) && f.kind === 'latency') plan.latencyMs += f.ms;
    }
    // A rejected request never reaches the operation, so it does not use up a lost response.
    for (const f of requestFaults) {
      if (f.kind === 'throttle' && this.fires(f)) return { ...plan, reject: throttling() };
      if (f.kind === 'error500' && this.fires(f)) return { ...plan, reject: internalServerError() };
    }
    for (const f of requestFaults) {
      if (f.kind === 'responseLost' && this.fires(f)) return { ...plan, lose: f.mode };
    }
    return plan;
  }

  private fires(f: RequestFault): boolean {
    if (f.count !== undefined && f.count <= 0) return false;
    if (f.rate !== undefined && this.random() >= f.rate) return false;
    if (f.count !== undefined) {
      f.count -= 1;
      if (f.count === 0) this.active = this.active.filter((a) => a !== f);
    }
    return true;
  }
}
