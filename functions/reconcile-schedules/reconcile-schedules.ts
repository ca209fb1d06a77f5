// Daily reconcile: every policy against every schedule of the group. Repairs drift the stream
// could not see (a schedule edited or created by hand, a lost stream record): missing schedules
// are created, stale ones updated, orphans deleted. Reports what it fixed.
import { paginateListSchedules } from '@aws-sdk/client-scheduler';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { errorMessage, errorName, TransientError } from '../shared/errors.js';
import type { SchedulingDeps } from '../shared/deps.js';
import { syncPolicySchedule, type SyncAction } from '../sync-schedules/sync-policy.js';

export interface ReconcileReport {
  policies: number;
  schedules: number;
  fixed: Partial<Record<SyncAction, string[]>>;
  failed: { policyId: string; error: string }[];
}

export async function reconcileSchedules(deps: SchedulingDeps): Promise<ReconcileReport> {
  const { scheduler, policies, target, log, metrics } = deps;
  const policyIds = await policies.listPolicyIds();
  const scheduleNames: string[] = [];
  for await (const page of paginateListSchedules({ client: scheduler }, { GroupName: target.groupName })) {
    for (const s of page.Schedules ?? []) if (s.Name) scheduleNames.push(s.Name);
  }

  const report: ReconcileReport = { policies: policyIds.length, schedules: scheduleNames.length, fixed: {}, failed: [] };
  for (const policyId of [...new Set([...policyIds, ...scheduleNames])].sort()) {
    try {
      const { action } = await syncPolicySchedule(policyId, deps);
      if (action !== 'unchanged' && action !== 'absent') (report.fixed[action] ??= []).push(policyId);
    } catch (e: unknown) {
      report.failed.push({ policyId, error: `${errorName(e)}: ${errorMessage(e)}` });
    }
  }
  for (const action of ['created', 'updated', 'deleted', 'disabled', 'rejected'] as const) {
    metrics.addMetric(`Schedules${action[0]?.toUpperCase()}${action.slice(1)}`, MetricUnit.Count, report.fixed[action]?.length ?? 0);
  }
  metrics.addMetric('ScheduleSyncFailures', MetricUnit.Count, report.failed.length);
  log.info('reconcile finished', { ...report });
  if (report.failed.length > 0) {
    throw new TransientError(`reconcile could not sync ${report.failed.length} policies: ${report.failed.map((f) => `${f.policyId} (${f.error})`).join('; ')}`);
  }
  return report;
}
