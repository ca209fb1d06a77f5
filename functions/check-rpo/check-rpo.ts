// RPO check: for every enabled policy with rpoHours, how long each target of its newest run has
// gone without a good backup. Records one status item per policy and emits TargetsOverRpo and
// OldestGoodBackupAgeHours, so an alarm fires when a target falls behind its recovery point objective.
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { mapWithConcurrency } from '../shared/concurrency.js';
import type { Deps } from '../shared/deps.js';
import { parsePolicy, policySchema } from '../shared/domain/policy.js';
import type { RpoProblem, RpoStatusItem, RpoTargetItem } from '../shared/store/runs.js';

/** Targets listed by name on a policy's status item; the count covers all of them. */
export const RPO_PROBLEMS_LISTED = 100;
const WRITE_CONCURRENCY = 8;
const HOUR_MS = 3_600_000;

export interface RpoCheckReport {
  checkedAt: string;
  /** Policies measured, with their outcome. */
  policies: { policyId: string; status: RpoStatusItem['status']; targets: number; targetsOverRpo: number; oldestGoodBackupAgeHours?: number }[];
  /** Policies left alone: disabled, without rpoHours, or deleted meanwhile. */
  ignored: number;
  targetsOverRpo: number;
}

export async function checkRpo(deps: Pick<Deps, 'runs' | 'policies' | 'clock' | 'config' | 'log' | 'metrics'>): Promise<RpoCheckReport> {
  const { runs, policies, clock, config, log, metrics } = deps;
  const now = clock.now();
  const expiresAt = Math.floor(now.getTime() / 1000) + config.runHistoryDays * 86_400;
  const report: RpoCheckReport = { checkedAt: now.toISOString(), policies: [], ignored: 0, targetsOverRpo: 0 };

  for (const policyId of (await policies.listPolicyIds()).sort()) {
    const rpoHours = rpoHoursOf(await policies.getPolicyItem(policyId));
    if (rpoHours === undefined) {
      report.ignored++;
      await runs.deleteRpoStatus(policyId);
      continue;
    }
    const status = await measurePolicy(policyId, rpoHours);
    await runs.putRpoStatus(status);
    report.policies.push({
      policyId,
      status: status.status,
      targets: status.targetCount,
      targetsOverRpo: status.targetsOverRpo,
      oldestGoodBackupAgeHours: status.oldestGoodBackupAgeHours,
    });
    report.targetsOverRpo += status.targetsOverRpo;
    // Per policy, flushed at once: one invocation measures every policy.
    policyMetric(policyId, 'TargetsOverRpo', MetricUnit.Count, status.targetsOverRpo);
    if (status.oldestGoodBackupAgeHours !== undefined) policyMetric(policyId, 'OldestGoodBackupAgeHours', MetricUnit.NoUnit, status.oldestGoodBackupAgeHours);
    if (status.status === 'OVER_RPO') {
      log.warn('targets over RPO', { policyId, rpoHours, targetsOverRpo: status.targetsOverRpo, first: status.overRpo.slice(0, 5) });
    }
  }
  // Across all policies, every check, 0 included: the alarm reads this one, and a gap means the check is not running.
  metrics.addMetric('TargetsOverRpo', MetricUnit.Count, report.targetsOverRpo);
  log.info('rpo check finished', { policies: report.policies.length, ignored: report.ignored, targetsOverRpo: report.targetsOverRpo });
  return report;

  function policyMetric(policyId: string, name: string, unit: (typeof MetricUnit)[keyof typeof MetricUnit], value: number) {
    const single = metrics.singleMetric();
    single.addDimension('policyId', policyId);
    single.addMetric(name, unit, value);
  }

  async function measurePolicy(policyId: string, rpoHours: number): Promise<RpoStatusItem> {
    const base = { policyId, rpoHours, checkedAt: now.toISOString(), expiresAt };
    const run = await runs.latestRunWithTargets(policyId);
    if (!run) return { ...base, status: 'NO_RUNS', targetCount: 0, targetsOverRpo: 0, targetsWithoutGoodBackup: 0, overRpo: [] };

    const [targets, known] = await Promise.all([runs.allTargets(policyId, run.scheduledTime), runs.rpoTargets(policyId)]);
    const byId = new Map<string, RpoTargetItem>(known.map((k) => [k.targetId, k]));
    // A target first seen now started its clock at this run's slot; noted once, kept from then on.
    const unseen = targets.filter((t) => !byId.has(t.targetId));
    await mapWithConcurrency(unseen, WRITE_CONCURRENCY, (t) => runs.noteTargetFirstSeen(policyId, t.targetId, run.scheduledTime, expiresAt));

    const rpoMs = rpoHours * HOUR_MS;
    const problems: (RpoProblem & { staleMs: number })[] = [];
    let oldest: { targetId: string; ageMs: number } | undefined;
    let withoutGoodBackup = 0;
    for (const t of targets) {
      const item = byId.get(t.targetId);
      if (item?.lastGoodBackupAt) {
        const ageMs = now.getTime() - Date.parse(item.lastGoodBackupAt);
        if (!oldest || ageMs > oldest.ageMs) oldest = { targetId: t.targetId, ageMs };
        if (ageMs > rpoMs) {
          problems.push({
            targetId: t.targetId,
            ageHours: hours(ageMs),
            lastGoodBackupAt: item.lastGoodBackupAt,
            lastGoodBackupId: item.lastGoodBackupId,
            reason: `last good backup ${item.lastGoodBackupId} was taken ${hours(ageMs)} h ago, more than the RPO of ${rpoHours} h`,
            staleMs: ageMs,
          });
        }
      } else {
        withoutGoodBackup++;
        const firstSeenAt = item?.firstSeenAt ?? run.scheduledTime;
        const exposedMs = now.getTime() - Date.parse(firstSeenAt);
        if (exposedMs > rpoMs) {
          problems.push({
            targetId: t.targetId,
            firstSeenAt,
            reason: `no good backup since its first run at ${firstSeenAt}, ${hours(exposedMs)} h ago (latest run: ${t.status}${t.reason ? `, ${t.reason}` : ''})`.slice(0, 400),
            staleMs: exposedMs,
          });
        }
      }
    }
    problems.sort((a, b) => b.staleMs - a.staleMs || a.targetId.localeCompare(b.targetId));
    return {
      ...base,
      status: problems.length > 0 ? 'OVER_RPO' : 'WITHIN_RPO',
      runScheduledTime: run.scheduledTime,
      targetCount: targets.length,
      targetsOverRpo: problems.length,
      targetsWithoutGoodBackup: withoutGoodBackup,
      oldestGoodBackupAgeHours: oldest ? hours(oldest.ageMs) : undefined,
      oldestGoodBackupTargetId: oldest?.targetId,
      overRpo: problems.slice(0, RPO_PROBLEMS_LISTED).map(({ staleMs: _, ...p }) => p),
    };
  }
}

/**
 * The RPO to check a policy item against, or undefined when it is not checked: deleted, disabled,
 * or without rpoHours. An item that no longer validates is still checked when its rpoHours is
 * valid: its schedule is off, so no run reports the gap, and the RPO alarm is what notices.
 */
export function rpoHoursOf(item: Record<string, unknown> | undefined): number | undefined {
  if (!item || item.enabled === false) return undefined;
  const parsed = parsePolicy(item);
  if (parsed.ok) return parsed.policy.rpoHours;
  const raw = policySchema.shape.rpoHours.safeParse(item.rpoHours);
  return raw.success ? raw.data : undefined;
}

const hours = (ms: number) => Math.round((ms / HOUR_MS) * 100) / 100;
