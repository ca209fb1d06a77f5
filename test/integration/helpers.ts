// Shared set-up for the workflow's integration tests: one sandbox per test file, a policy per
// test (unique ids keep tests apart), and readers of the ground truth in both stores.
import { fileURLToPath } from 'node:url';
import type { Backup } from '@aws-sdk/client-fsx';
import { startSandbox, type Sandbox, type SandboxOptions } from '../../local/sandbox.js';
import type { RunItem, TargetItem } from '../../functions/shared/store/runs.js';

export const fleetPath = fileURLToPath(new URL('../fixtures/fleet.yaml', import.meta.url));

export function sandbox(opts: Partial<SandboxOptions> = {}): Promise<Sandbox> {
  return startSandbox({ fleet: fleetPath, start: '2026-12-04T00:00:00Z', ...opts });
}

let counter = 0;
export const uniquePolicyId = (name: string) => `${name}-${++counter}`;

/** The current minute of the shared clock, as Scheduler would put it in the input. */
export const currentSlot = (sb: Sandbox) => {
  const now = sb.clock.now();
  now.setUTCSeconds(0, 0);
  return now.toISOString().replace('.000Z', 'Z');
};

export function policy(policyId: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    policyId,
    enabled: true,
    schedule: { expression: 'cron(0 2 * * ? *)', timezone: 'UTC', startWindowMinutes: 60, completionWindowMinutes: 720 },
    targets: { ids: [] },
    ...overrides,
  };
}

export async function runPolicy(sb: Sandbox, p: Record<string, unknown>, slot = currentSlot(sb)) {
  await sb.putPolicy(p);
  const outcome = await sb.runner.execute({ policyId: p.policyId, scheduledTime: slot, trigger: 'schedule' });
  const run = await sb.runner.deps.runs.getRun(p.policyId as string, slot);
  const targets = await sb.runner.deps.runs.allTargets(p.policyId as string, slot);
  return { outcome, run: run as RunItem, targets, byId: Object.fromEntries(targets.map((t) => [t.targetId, t])) as Record<string, TargetItem>, slot };
}

/** Backups in the emulator that this policy created (by the policy tag on them). */
export function backupsOf(sb: Sandbox, policyId: string): Backup[] {
  return sb.fsx.backups().filter((b) => b.Tags?.some((t) => t.Key === 'fsx-backup:policy' && t.Value === policyId));
}

export const resourceOf = (b: Backup) => b.Volume?.VolumeId ?? b.FileSystem?.FileSystemId;
