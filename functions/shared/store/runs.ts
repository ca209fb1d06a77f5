// All access to the runs table: the run item (one per slot) and its target items.
import {
  BatchWriteCommand,
  DeleteCommand,
  GetCommand,
  paginateQuery,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import type { RunStatus, TargetCounts, TargetStatus } from '../domain/states.js';
import { applied } from './conditional.js';
import { runKey, targetKey, targetsPartition } from './keys.js';

export interface FsxErrorInfo {
  name: string;
  message: string;
}

export interface RunItem {
  policyId: string;
  scheduledTime: string;
  trigger: string;
  executionId: string;
  status: RunStatus;
  startedAt: string;
  startDeadline?: string;
  completionDeadline?: string;
  /** What StartBackups needs from the policy, frozen when the run started. */
  settings?: { maxConcurrency: number; backupTags: Record<string, string> };
  targetsRecordedAt?: string;
  targetCount?: number;
  firstBackupStartedAt?: string;
  finishedAt?: string;
  counts?: TargetCounts;
  startLagSeconds?: number;
  durationSeconds?: number;
  reason?: string;
  errors?: { path: string; message: string }[];
  /** Set once the run's metrics and log lines were sent. */
  reportedAt?: string;
  expiresAt: number;
}

export interface TargetItem {
  targetId: string;
  resourceType: 'FILE_SYSTEM' | 'VOLUME';
  fileSystemId: string;
  fileSystemType: string;
  name?: string;
  status: TargetStatus;
  attempts: number;
  backupId?: string;
  lifecycle?: string;
  progressPercent?: number;
  startedAt?: string;
  finishedAt?: string;
  durationSeconds?: number;
  lastError?: FsxErrorInfo;
  reason?: string;
  expiresAt: number;
}

export type NewTarget = Pick<TargetItem, 'targetId' | 'resourceType' | 'fileSystemId' | 'fileSystemType' | 'name'> &
  Partial<Pick<TargetItem, 'status' | 'reason' | 'lastError' | 'finishedAt'>>;

/**
 * Per policy and target, what the RPO check needs without reading old runs: the newest good
 * backup (written by Check backups when a backup becomes AVAILABLE, only if newer) and when the
 * target was first seen in a run (written by the RPO check once).
 * Key: pk `RPO#<policyId>`, sk `TARGET#<targetId>`.
 */
export interface RpoTargetItem {
  policyId: string;
  targetId: string;
  /** The recovery point: CreationTime of the newest backup that became AVAILABLE. */
  lastGoodBackupAt?: string;
  lastGoodBackupId?: string;
  lastGoodScheduledTime?: string;
  /** When Check backups saw that backup AVAILABLE. */
  lastGoodSucceededAt?: string;
  /** scheduledTime of the first run the RPO check found the target in. */
  firstSeenAt?: string;
  expiresAt: number;
}

export interface GoodBackup {
  backupId: string;
  backupCreatedAt: string;
  scheduledTime: string;
  succeededAt: string;
}

/** A target of the policy over its RPO, as listed on the RPO status item. */
export interface RpoProblem {
  targetId: string;
  ageHours?: number;
  lastGoodBackupAt?: string;
  lastGoodBackupId?: string;
  firstSeenAt?: string;
  reason: string;
}

/** The latest RPO check of one policy. Key: pk `RPO#<policyId>`, sk `STATUS`. */
export interface RpoStatusItem {
  policyId: string;
  rpoHours: number;
  checkedAt: string;
  /** NO_RUNS: no run of the policy has recorded targets yet, so there is nothing to measure. */
  status: 'WITHIN_RPO' | 'OVER_RPO' | 'NO_RUNS';
  /** The run whose targets were checked (the newest run that recorded targets). */
  runScheduledTime?: string;
  targetCount: number;
  targetsOverRpo: number;
  targetsWithoutGoodBackup: number;
  oldestGoodBackupAgeHours?: number;
  oldestGoodBackupTargetId?: string;
  /** The targets over RPO, stalest first; at most RPO_PROBLEMS_LISTED of them. */
  overRpo: RpoProblem[];
  expiresAt: number;
}

const rpoPartition = (policyId: string) => `RPO#${policyId}`;
const rpoTargetKey = (policyId: string, targetId: string) => ({ pk: rpoPartition(policyId), sk: `TARGET#${targetId}` });
const rpoStatusKey = (policyId: string) => ({ pk: rpoPartition(policyId), sk: 'STATUS' });

export type ClaimOutcome = { outcome: 'CLAIMED' | 'RESUMED'; run: RunItem } | { outcome: 'DUPLICATE'; run: RunItem };

export type Cursor = Record<string, unknown>;

export class RunStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  /**
   * Claims the slot for this execution. A second delivery of the slot (another execution)
   * gets DUPLICATE; a retry of the same execution gets RESUMED with the item as it stands.
   */
  async claimRunSlot(run: RunItem): Promise<ClaimOutcome> {
    const claimed = await applied(
      this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: { ...runKey(run.policyId, run.scheduledTime), ...run, runStatus: run.status, statusAt: run.startedAt },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    );
    if (claimed) return { outcome: 'CLAIMED', run };
    const existing = await this.getRun(run.policyId, run.scheduledTime);
    if (!existing) throw new Error(`run ${run.policyId}@${run.scheduledTime} vanished after a failed claim`);
    return { outcome: existing.executionId === run.executionId ? 'RESUMED' : 'DUPLICATE', run: existing };
  }

  async getRun(policyId: string, scheduledTime: string): Promise<RunItem | undefined> {
    const out = await this.db.send(
      new GetCommand({ TableName: this.table, Key: runKey(policyId, scheduledTime), ConsistentRead: true }),
    );
    return out.Item as RunItem | undefined;
  }

  /** Sets attributes of a run that is still RUNNING (a finished run is never reopened). */
  async updateRunningRun(policyId: string, scheduledTime: string, attrs: Partial<RunItem>): Promise<void> {
    const { expression, names, values } = setExpression(attrs);
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: runKey(policyId, scheduledTime),
        UpdateExpression: expression,
        ConditionExpression: '#status = :running',
        ExpressionAttributeNames: { ...names, '#status': 'status' },
        ExpressionAttributeValues: { ...values, ':running': 'RUNNING' },
      }),
    );
  }

  /** Records the earliest successful CreateBackup time of the run (start lag). */
  async noteFirstBackupStarted(policyId: string, scheduledTime: string, at: string): Promise<void> {
    await applied(
      this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: runKey(policyId, scheduledTime),
        UpdateExpression: 'SET firstBackupStartedAt = :at',
        ConditionExpression: 'attribute_not_exists(firstBackupStartedAt) OR firstBackupStartedAt > :at',
        ExpressionAttributeValues: { ':at': at },
      }),
      ),
    );
  }

  /** Ends a run. Idempotent: finishing an already finished run changes nothing and returns it. */
  async finishRun(policyId: string, scheduledTime: string, attrs: Partial<RunItem> & { status: RunStatus; finishedAt: string }): Promise<RunItem> {
    const { expression, names, values } = setExpression({ ...attrs, runStatus: attrs.status, statusAt: attrs.finishedAt });
    try {
      const out = await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: runKey(policyId, scheduledTime),
          UpdateExpression: expression,
          ConditionExpression: 'attribute_exists(pk) AND #status = :running',
          ExpressionAttributeNames: { ...names, '#status': 'status' },
          ExpressionAttributeValues: { ...values, ':running': 'RUNNING' },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return out.Attributes as RunItem;
    } catch (e: unknown) {
      if (!(e instanceof ConditionalCheckFailedException)) throw e;
      const existing = await this.getRun(policyId, scheduledTime);
      if (!existing) throw new Error(`run ${policyId}@${scheduledTime} does not exist`);
      return existing;
    }
  }

  /**
   * Marks a finished run as reported (metrics and log lines sent). True only the first time, so
   * a repeated Finish run, or a run Start run ended, is counted exactly once.
   */
  async markReported(policyId: string, scheduledTime: string, at: string): Promise<boolean> {
    return applied(
      this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: runKey(policyId, scheduledTime),
        UpdateExpression: 'SET reportedAt = :at',
        ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(reportedAt) AND #status <> :running',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':at': at, ':running': 'RUNNING' },
      }),
      ),
    );
  }

  /** Writes the run's target items. Safe to repeat before any target has started. */
  async putTargets(policyId: string, scheduledTime: string, targets: NewTarget[], expiresAt: number): Promise<number> {
    let requests = 0;
    for (let i = 0; i < targets.length; i += 25) {
      let items: Record<string, unknown>[] = targets.slice(i, i + 25).map((t) => ({
        PutRequest: {
          Item: {
            ...targetKey(policyId, scheduledTime, t.targetId),
            status: 'PENDING',
            attempts: 0,
            expiresAt,
            ...t,
          },
        },
      }));
      for (let attempt = 0; items.length > 0; attempt++) {
        if (attempt > 8) throw new Error('DynamoDB left target writes unprocessed after 8 attempts');
        if (attempt > 0) await new Promise((r) => setTimeout(r, 50 * 2 ** attempt));
        requests++;
        const out = await this.db.send(new BatchWriteCommand({ RequestItems: { [this.table]: items } }));
        items = (out.UnprocessedItems?.[this.table] ?? []) as Record<string, unknown>[];
      }
    }
    return requests;
  }

  /**
   * Reads up to `limit` target items (terminal ones included in the count, not in the result)
   * and returns those still open, with a cursor when the partition has more.
   */
  async openTargets(policyId: string, scheduledTime: string, limit: number, cursor?: Cursor): Promise<{ targets: TargetItem[]; cursor?: Cursor }> {
    const targets: TargetItem[] = [];
    let key: Cursor | undefined = cursor;
    let evaluated = 0;
    do {
      const out = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk',
          FilterExpression: '#status IN (:pending, :inProgress)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':pk': targetsPartition(policyId, scheduledTime), ':pending': 'PENDING', ':inProgress': 'IN_PROGRESS' },
          ConsistentRead: true,
          Limit: limit - evaluated,
          ExclusiveStartKey: key,
        }),
      );
      evaluated += out.ScannedCount ?? 0;
      targets.push(...((out.Items ?? []) as TargetItem[]));
      key = out.LastEvaluatedKey;
    } while (key && evaluated < limit);
    // DynamoDB hands back a key when a page ends exactly at the limit even if nothing follows;
    // one cheap look ahead saves the workflow an invocation that would read nothing.
    if (key && !(await this.hasMore(policyId, scheduledTime, key))) key = undefined;
    return { targets, cursor: key };
  }

  private async hasMore(policyId: string, scheduledTime: string, after: Cursor): Promise<boolean> {
    const out = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': targetsPartition(policyId, scheduledTime) },
        ProjectionExpression: 'pk',
        ConsistentRead: true,
        Limit: 1,
        ExclusiveStartKey: after,
      }),
    );
    return (out.Count ?? 0) > 0;
  }

  async allTargets(policyId: string, scheduledTime: string): Promise<TargetItem[]> {
    const targets: TargetItem[] = [];
    const pages = paginateQuery(
      { client: this.db },
      {
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': targetsPartition(policyId, scheduledTime) },
        ConsistentRead: true,
      },
    );
    for await (const page of pages) targets.push(...((page.Items ?? []) as TargetItem[]));
    return targets;
  }

  /**
   * Moves one target from `from` to new attributes. Returns false when the target was no
   * longer in `from` (a repeated step already moved it): the caller skips it.
   */
  async updateTarget(policyId: string, scheduledTime: string, targetId: string, from: TargetStatus, attrs: Partial<TargetItem>, add?: { attempts?: number }): Promise<boolean> {
    const { expression, names, values } = setExpression(attrs);
    const addClause = add?.attempts ? ' ADD attempts :inc' : '';
    return applied(
      this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: targetKey(policyId, scheduledTime, targetId),
        UpdateExpression: expression + addClause,
        ConditionExpression: '#status = :from',
        ExpressionAttributeNames: { ...names, '#status': 'status' },
        ExpressionAttributeValues: { ...values, ':from': from, ...(add?.attempts ? { ':inc': add.attempts } : {}) },
      }),
      ),
    );
  }

  /** Runs of one policy, newest first. */
  async listRuns(policyId: string, limit = 20): Promise<RunItem[]> {
    const out = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :run)',
        ExpressionAttributeValues: { ':pk': `POLICY#${policyId}`, ':run': 'RUN#' },
        ScanIndexForward: false,
        Limit: limit,
      }),
    );
    return (out.Items ?? []) as RunItem[];
  }

  /** Runs in one status across all policies, newest first, from the byRunStatus index. */
  async listRunsByStatus(status: RunStatus, limit = 20): Promise<RunItem[]> {
    const out = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        IndexName: 'byRunStatus',
        KeyConditionExpression: 'runStatus = :s',
        ExpressionAttributeValues: { ':s': status },
        ScanIndexForward: false,
        Limit: limit,
      }),
    );
    return (out.Items ?? []) as RunItem[];
  }
  /**
   * Records a target's good backup unless a newer one is recorded already (two runs of a policy
   * may finish out of order). Returns false when the recorded one was newer or the same.
   */
  async recordGoodBackup(policyId: string, targetId: string, good: GoodBackup, expiresAt: number): Promise<boolean> {
    return applied(
      this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: rpoTargetKey(policyId, targetId),
        UpdateExpression:
          'SET policyId = :policyId, targetId = :targetId, lastGoodBackupAt = :at, lastGoodBackupId = :backupId, lastGoodScheduledTime = :slot, lastGoodSucceededAt = :succeededAt, expiresAt = :expiresAt',
        ConditionExpression: 'attribute_not_exists(lastGoodBackupAt) OR lastGoodBackupAt < :at',
        ExpressionAttributeValues: {
          ':policyId': policyId,
          ':targetId': targetId,
          ':at': good.backupCreatedAt,
          ':backupId': good.backupId,
          ':slot': good.scheduledTime,
          ':succeededAt': good.succeededAt,
          ':expiresAt': expiresAt,
        },
      }),
      ),
    );
  }

  /** Notes when a target was first seen in a run; an earlier note (or a good backup's item) is kept. */
  async noteTargetFirstSeen(policyId: string, targetId: string, seenAt: string, expiresAt: number): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: rpoTargetKey(policyId, targetId),
        UpdateExpression:
          'SET policyId = :policyId, targetId = :targetId, firstSeenAt = if_not_exists(firstSeenAt, :seen), expiresAt = if_not_exists(expiresAt, :expiresAt)',
        ExpressionAttributeValues: { ':policyId': policyId, ':targetId': targetId, ':seen': seenAt, ':expiresAt': expiresAt },
      }),
    );
  }

  /** Every target's RPO bookkeeping for a policy. */
  async rpoTargets(policyId: string): Promise<RpoTargetItem[]> {
    const items: RpoTargetItem[] = [];
    const pages = paginateQuery(
      { client: this.db },
      {
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :target)',
        ExpressionAttributeValues: { ':pk': rpoPartition(policyId), ':target': 'TARGET#' },
      },
    );
    for await (const page of pages) items.push(...((page.Items ?? []) as RpoTargetItem[]));
    return items;
  }


  /** The newest run of a policy that recorded its targets (runs of a disabled or invalid policy record none). */
  async latestRunWithTargets(policyId: string): Promise<RunItem | undefined> {
    const pages = paginateQuery(
      { client: this.db, pageSize: 25 },
      {
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :run)',
        FilterExpression: 'attribute_exists(targetsRecordedAt)',
        ExpressionAttributeValues: { ':pk': `POLICY#${policyId}`, ':run': 'RUN#' },
        ScanIndexForward: false,
      },
    );
    for await (const page of pages) {
      const run = page.Items?.[0];
      if (run) return run as RunItem;
    }
    return undefined;
  }


  /** Replaces the policy's RPO status with the latest check's. */
  async putRpoStatus(status: RpoStatusItem): Promise<void> {
    await this.db.send(new PutCommand({ TableName: this.table, Item: { ...rpoStatusKey(status.policyId), ...status } }));
  }

  async getRpoStatus(policyId: string): Promise<RpoStatusItem | undefined> {
    const out = await this.db.send(new GetCommand({ TableName: this.table, Key: rpoStatusKey(policyId), ConsistentRead: true }));
    return out.Item as RpoStatusItem | undefined;
  }

  /** Removes the RPO status of a policy that no longer asks for a check (disabled, or no rpoHours). */
  async deleteRpoStatus(policyId: string): Promise<void> {
    await this.db.send(new DeleteCommand({ TableName: this.table, Key: rpoStatusKey(policyId) }));
  }
}

function setExpression(attrs: Record<string, unknown>) {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const sets: string[] = [];
  const removes: string[] = [];
  for (const [k, v] of Object.entries(attrs)) {
    names[`#${k}`] = k;
    if (v === undefined) removes.push(`#${k}`);
    else {
      values[`:${k}`] = v;
      sets.push(`#${k} = :${k}`);
    }
  }
  const expression = [sets.length ? `SET ${sets.join(', ')}` : '', removes.length ? `REMOVE ${removes.join(', ')}` : ''].filter(Boolean).join(' ');
  return { expression, names, values };
}
