// Start run: claims the slot, loads and validates the policy, resolves its targets and records
// one PENDING item per target. Every step is safe to repeat after a crash.
import type { Deps } from '../shared/deps.js';
import { parsePolicy } from '../shared/domain/policy.js';
import { selectTargets } from '../shared/domain/targets.js';
import { TransientError, errorMessage, errorName } from '../shared/errors.js';
import type { RunItem } from '../shared/store/runs.js';
import { describeFleet } from './describe-fleet.js';

export interface StartRunInput {
  policyId: string;
  scheduledTime: string;
  trigger: 'schedule' | 'manual';
  executionId: string;
}

export interface StartRunOutcome {
  /** STARTED: targets are recorded; DUPLICATE: another execution owns the slot; ENDED: nothing to back up. */
  outcome: 'STARTED' | 'DUPLICATE' | 'ENDED';
  targets: number;
}

/** The state for the rest of the workflow: the slot as recorded, and how the start went. */
export interface StartRunOutput {
  policyId: string;
  scheduledTime: string;
  trigger: 'schedule' | 'manual';
  run: StartRunOutcome;
}

/** Validation errors kept on a run item; the rest are counted in its reason. */
const MAX_RECORDED_ERRORS = 50;

const minutes = (iso: string, n: number) => new Date(Date.parse(iso) + n * 60_000).toISOString();

export async function startRun(input: StartRunInput, deps: Pick<Deps, 'runs' | 'policies' | 'fsx' | 'clock' | 'config' | 'log'>): Promise<StartRunOutput> {
  const run = await claimAndPrepare(input, deps);
  return { policyId: input.policyId, scheduledTime: input.scheduledTime, trigger: input.trigger, run };
}

async function claimAndPrepare(input: StartRunInput, deps: Pick<Deps, 'runs' | 'policies' | 'fsx' | 'clock' | 'config' | 'log'>): Promise<StartRunOutcome> {
  const { runs, policies, fsx, clock, config, log } = deps;
  const { policyId, scheduledTime } = input;
  const now = clock.now().toISOString();
  const expiresAt = Math.floor(Date.parse(scheduledTime) / 1000) + config.runHistoryDays * 86_400;

  const claim = await runs.claimRunSlot({
    policyId,
    scheduledTime,
    trigger: input.trigger,
    executionId: input.executionId,
    status: 'RUNNING',
    startedAt: now,
    expiresAt,
  });
  if (claim.outcome === 'DUPLICATE') {
    log.warn('slot already claimed by another execution', { claimedBy: claim.run.executionId, status: claim.run.status });
    return { outcome: 'DUPLICATE', targets: 0 };
  }
  if (claim.run.status !== 'RUNNING') return { outcome: 'ENDED', targets: claim.run.targetCount ?? 0 };
  if (claim.run.targetsRecordedAt) {
    return { outcome: (claim.run.targetCount ?? 0) > 0 ? 'STARTED' : 'ENDED', targets: claim.run.targetCount ?? 0 };
  }

  const item = await policies.getPolicyItem(policyId);
  if (!item) {
    await runs.finishRun(policyId, scheduledTime, { status: 'POLICY_NOT_FOUND', finishedAt: now, reason: `policy ${policyId} does not exist (deleted?)` });
    return { outcome: 'ENDED', targets: 0 };
  }
  const parsed = parsePolicy(item);
  if (!parsed.ok) {
    // Bounded, so that a policy with thousands of bad ids still fits in one item (400 KB).
    const errors = parsed.errors.slice(0, MAX_RECORDED_ERRORS);
    const more = parsed.errors.length - errors.length;
    const reason = `policy ${policyId} is invalid: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}${more > 0 ? `; and ${more} more errors` : ''}`;
    await runs.finishRun(policyId, scheduledTime, {
      status: 'FAILED',
      finishedAt: now,
      reason: reason.length > 4000 ? `${reason.slice(0, 4000)}…` : reason,
      errors,
    });
    return { outcome: 'ENDED', targets: 0 };
  }
  const policy = parsed.policy;
  if (!policy.enabled) {
    await runs.finishRun(policyId, scheduledTime, { status: 'POLICY_DISABLED', finishedAt: now, reason: `policy ${policyId} is disabled` });
    return { outcome: 'ENDED', targets: 0 };
  }

  await runs.updateRunningRun(policyId, scheduledTime, {
    startDeadline: minutes(scheduledTime, policy.schedule.startWindowMinutes),
    completionDeadline: minutes(scheduledTime, policy.schedule.completionWindowMinutes),
    settings: { maxConcurrency: policy.maxConcurrency, backupTags: policy.backupTags ?? {} },
  });

  const selector = {
    ids: policy.targets.ids ?? [],
    tags: policy.targets.tags ?? {},
    fileSystemTypes: policy.targets.fileSystemTypes,
    exclude: { ids: policy.targets.exclude?.ids ?? [], tags: policy.targets.exclude?.tags ?? {} },
  };
  let fleet;
  try {
    fleet = await describeFleet(fsx, selector);
  } catch (e: unknown) {
    throw new TransientError(`could not list FSx resources: ${errorName(e)}: ${errorMessage(e)}`, { cause: e });
  }
  const targets = selectTargets(selector, fleet.fileSystems, fleet.volumes).map((t) =>
    t.status ? { ...t, finishedAt: now } : t,
  );
  await runs.putTargets(policyId, scheduledTime, targets, expiresAt);
  const recorded: Partial<RunItem> = { targetsRecordedAt: clock.now().toISOString(), targetCount: targets.length };
  await runs.updateRunningRun(policyId, scheduledTime, recorded);
  log.info('run started', { targets: targets.length, trigger: input.trigger });
  const startable = targets.filter((t) => !t.status).length;
  return { outcome: startable > 0 ? 'STARTED' : 'ENDED', targets: targets.length };
}
