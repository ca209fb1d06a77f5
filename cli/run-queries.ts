// Listings of runs for `runs list`. RunStore's listings read one page without a time bound;
// these add `since` (as a key condition, so old runs are not read) and page up to the limit.
import { QueryCommand, type DynamoDBDocumentClient, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { runStatuses, type RunStatus } from '../functions/shared/domain/states.js';
import type { RunItem } from '../functions/shared/store/runs.js';

export interface RunQuery {
  policyId?: string;
  status?: RunStatus;
  /** Only runs whose slot is at or after this time. */
  since?: Date;
  limit: number;
}

/**
 * Newest first. With a policy: its partition (`pk = POLICY#<id>`). With a status only: the
 * byRunStatus index. With neither: the index once per status, merged, since DynamoDB has no
 * index across all runs (and a scan would read every target item too).
 */
export async function listRuns(db: DynamoDBDocumentClient, table: string, q: RunQuery): Promise<RunItem[]> {
  if (q.policyId) return policyRuns(db, table, q.policyId, q);
  const statuses = q.status ? [q.status] : runStatuses;
  const perStatus = await Promise.all(statuses.map((s) => statusRuns(db, table, s, q)));
  return perStatus
    .flat()
    .sort((a, b) => b.scheduledTime.localeCompare(a.scheduledTime) || a.policyId.localeCompare(b.policyId))
    .slice(0, q.limit);
}

function policyRuns(db: DynamoDBDocumentClient, table: string, policyId: string, q: RunQuery): Promise<RunItem[]> {
  const values: Record<string, unknown> = { ':pk': `POLICY#${policyId}` };
  let keyCondition = 'pk = :pk AND begins_with(sk, :run)';
  values[':run'] = 'RUN#';
  if (q.since) {
    keyCondition = 'pk = :pk AND sk BETWEEN :from AND :to';
    delete values[':run'];
    values[':from'] = `RUN#${slotForm(q.since)}`;
    values[':to'] = 'RUN#\uffff';
  }
  const input: QueryCommandInput = { TableName: table, KeyConditionExpression: keyCondition, ExpressionAttributeValues: values, ScanIndexForward: false };
  if (q.status) {
    input.FilterExpression = '#status = :status';
    input.ExpressionAttributeNames = { '#status': 'status' };
    values[':status'] = q.status;
  }
  return queryUpTo(db, input, q.limit);
}

function statusRuns(db: DynamoDBDocumentClient, table: string, status: RunStatus, q: RunQuery): Promise<RunItem[]> {
  const values: Record<string, unknown> = { ':status': status };
  const input: QueryCommandInput = { TableName: table, IndexName: 'byRunStatus', KeyConditionExpression: 'runStatus = :status', ExpressionAttributeValues: values, ScanIndexForward: false };
  if (q.since) {
    // statusAt (start or finish) is never before the slot, so it bounds the read; the filter
    // then keeps the runs whose slot itself is recent enough.
    input.KeyConditionExpression += ' AND statusAt >= :since';
    values[':since'] = q.since.toISOString().slice(0, 19);
    input.FilterExpression = 'scheduledTime >= :slot';
    values[':slot'] = slotForm(q.since);
  }
  return queryUpTo(db, input, q.limit);
}

async function queryUpTo(db: DynamoDBDocumentClient, input: QueryCommandInput, limit: number): Promise<RunItem[]> {
  const items: RunItem[] = [];
  let key: Record<string, unknown> | undefined;
  do {
    const out = await db.send(new QueryCommand({ ...input, Limit: input.FilterExpression ? Math.max(limit, 100) : limit - items.length, ExclusiveStartKey: key }));
    items.push(...((out.Items ?? []) as RunItem[]));
    key = out.LastEvaluatedKey;
  } while (key && items.length < limit);
  return items.slice(0, limit);
}

/** Slot times are stored as `2026-12-04T01:00:00Z`. */
function slotForm(d: Date): string {
  return `${d.toISOString().slice(0, 19)}Z`;
}

/** A `--since` value, checked for its form before anything is read; `resolve` places it. */
export interface Since {
  text: string;
  /** The time it names: relative ones back from `now` (the clock the workflow sees). */
  resolve(now: Date): Date;
}

/**
 * `24h`, `7d`, `90m`, `2w` back from now, or an ISO 8601 time with a zone (a date alone is UTC
 * midnight); undefined for anything else.
 */
export function parseSince(value: string): Since | undefined {
  const text = value.trim();
  const rel = /^(\d+)\s*(m|min|h|d|w)$/i.exec(text);
  if (rel) {
    const unit = { m: 60_000, min: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[(rel[2] ?? 'h').toLowerCase() as 'm'];
    const back = Number(rel[1]) * unit;
    return { text: value, resolve: (now) => new Date(now.getTime() - back) };
  }
  if (!/^\d{4}-\d{2}-\d{2}($|T.*(Z|[+-]\d{2}:?\d{2})$)/.test(text)) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : { text: value, resolve: () => new Date(ms) };
}
