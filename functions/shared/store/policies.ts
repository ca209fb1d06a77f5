// Access to the policies table: one item per policy, as the operator wrote it.
import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

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
}
