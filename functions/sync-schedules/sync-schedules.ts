// Schedule sync: for each policy touched by a batch of policies-table stream records, bring its
// schedule in line. Changes that only rewrote the sync's own status are skipped (no loop), and
// a policy that could not be synced is reported as a batch item failure so the rest go on.
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { errorMessage, errorName } from '../shared/errors.js';
import type { SchedulingDeps } from '../shared/deps.js';
import { syncPolicySchedule, type SyncResult } from './sync-policy.js';

export interface StreamRecord {
  eventName?: 'INSERT' | 'MODIFY' | 'REMOVE';
  dynamodb?: {
    Keys?: Record<string, AttributeValue>;
    NewImage?: Record<string, AttributeValue>;
    OldImage?: Record<string, AttributeValue>;
    SequenceNumber?: string;
  };
}

export interface BatchResponse {
  batchItemFailures: { itemIdentifier: string }[];
}

/** Attributes the sync writes itself: a change to only these is its own echo. */
const OWN_ATTRIBUTES = ['scheduleStatus'];

export async function syncSchedules(records: StreamRecord[], deps: SchedulingDeps): Promise<BatchResponse & { results: SyncResult[] }> {
  const firstRecordOf = new Map<string, string>();
  for (const r of records) {
    const policyId = r.dynamodb?.Keys?.policyId?.S;
    const sequence = r.dynamodb?.SequenceNumber;
    if (!policyId || !sequence) continue;
    if (isOwnEcho(r)) continue;
    if (!firstRecordOf.has(policyId)) firstRecordOf.set(policyId, sequence);
  }

  const failures: string[] = [];
  const results: SyncResult[] = [];
  for (const [policyId, sequence] of firstRecordOf) {
    try {
      results.push(await syncPolicySchedule(policyId, deps));
    } catch (e: unknown) {
      deps.log.error('schedule sync failed; the stream will deliver the record again', { policyId, error: `${errorName(e)}: ${errorMessage(e)}` });
      failures.push(sequence);
    }
  }
  return { batchItemFailures: failures.map((itemIdentifier) => ({ itemIdentifier })), results };
}

/** A MODIFY that only rewrote the sync's own attributes. One that dropped them (an operator
 *  rewrote the item) is not: the sync puts the status back. */
function isOwnEcho(r: StreamRecord): boolean {
  if (r.eventName !== 'MODIFY' || !r.dynamodb?.OldImage || !r.dynamodb.NewImage) return false;
  if (OWN_ATTRIBUTES.some((k) => r.dynamodb?.NewImage?.[k] === undefined)) return false;
  return canonical(r.dynamodb.OldImage) === canonical(r.dynamodb.NewImage);
}

function canonical(image: Record<string, AttributeValue>): string {
  const item = unmarshall(image);
  for (const k of OWN_ATTRIBUTES) delete item[k];
  return stableStringify(item);
}

function stableStringify(v: unknown): string {
  if (v instanceof Set) return stableStringify([...v].sort());
  if (Array.isArray(v)) return `[${v.map(stableStringify).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${stableStringify((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}
