// Access to the policies table: one item per policy, as the operator wrote it.
import { applied } from './conditional.js';
import { GetCommand, paginateScan, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/** What the schedule sync last did for a policy, written back on the policy item. */
export interface ScheduleStatus {
  /** IN_SYNC: schedule matches an enabled policy; DISABLED: policy disabled, schedule disabled;
   *  INVALID: policy does not validate, no schedule runs; ERROR: Scheduler refused the schedule. */
  state: 'IN_SYNC' | 'DISABLED' | 'INVALID' | 'ERROR';
  reason?: string;
  errors?: { path: string; message: string }[];
  scheduleArn?: string;
  scheduleState?: 'ENABLED' | 'DISABLED' | 'ABSENT';
  groupName?: string;
  expression?: string;
  timezone?: string;
  nextFireTimes?: { utc: string; local: string }[];
  syncedAt: string;
}

export class PolicyStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  /** The raw item (validated by the caller), or undefined when the policy does not exist. */
  async getPolicyItem(policyId: string): Promise<Record<string, unknown> | undefined> {
    const out = await this.db.send(new GetCommand({ TableName: this.table, Key: { policyId }, ConsistentRead: true }));
    return out.Item;
  }

  /** Records the sync outcome; a policy deleted meanwhile is left deleted. */
  async writeScheduleStatus(policyId: string, status: ScheduleStatus): Promise<boolean> {
    return applied(
      this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { policyId },
          UpdateExpression: 'SET scheduleStatus = :s',
          ConditionExpression: 'attribute_exists(policyId)',
          ExpressionAttributeValues: { ':s': status },
        }),
      ),
    );
  }

  /** Every policy id in the table (the table holds hundreds of small items, not millions). */
  async listPolicyIds(): Promise<string[]> {
    const ids: string[] = [];
    const pages = paginateScan({ client: this.db }, { TableName: this.table, ProjectionExpression: 'policyId', ConsistentRead: true });
    for await (const page of pages) for (const item of page.Items ?? []) ids.push(String(item.policyId));
    return ids;
  }
}
