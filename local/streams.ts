// The Lambda event source mapping, offline: reads the policies table's stream from DynamoDB
// Local and hands each batch to the real stream handler, honouring its batchItemFailures (the
// batch is delivered again from the first failed record) up to the configured retry limit.
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type _Record,
} from '@aws-sdk/client-dynamodb-streams';
import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';

type BatchHandler = (event: { Records: unknown[] }) => Promise<{ batchItemFailures?: { itemIdentifier: string }[] } | void>;

interface ShardCursor {
  iterator?: string;
  lastSequence?: string;
  closed: boolean;
}

export class StreamPoller {
  private readonly streams: DynamoDBStreamsClient;
  private streamArn?: string;
  private readonly shards = new Map<string, ShardCursor>();
  private pending: _Record[] = [];
  private attempts = 0;
  /** Records given up on after the retry limit, as Lambda would after maximumRetryAttempts. */
  readonly dropped: _Record[] = [];
  delivered = 0;

  constructor(
    private readonly dynamodb: DynamoDBClient,
    endpoint: string,
    private readonly table: string,
    private readonly handler: BatchHandler,
    private readonly options: { batchSize: number; maximumRetryAttempts: number } = { batchSize: 25, maximumRetryAttempts: 20 },
  ) {
    this.streams = new DynamoDBStreamsClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  }

  /** Reads every record written so far and delivers them, batch by batch, until none is left. */
  async drain(): Promise<void> {
    await this.fetch();
    while (this.pending.length > 0) {
      const batch = this.pending.slice(0, this.options.batchSize);
      const response = await this.handler({ Records: batch.map(toLambdaRecord(this.streamArn ?? '')) });
      const failed = response?.batchItemFailures?.map((f) => f.itemIdentifier) ?? [];
      const firstFailed = batch.findIndex((r) => failed.includes(r.dynamodb?.SequenceNumber ?? ''));
      if (firstFailed < 0) {
        this.delivered += batch.length;
        this.pending = this.pending.slice(batch.length);
        this.attempts = 0;
        continue;
      }
      this.delivered += firstFailed;
      this.pending = this.pending.slice(firstFailed);
      this.attempts++;
      if (this.attempts > this.options.maximumRetryAttempts) {
        this.dropped.push(...this.pending.splice(0, 1));
        this.attempts = 0;
      }
      // Lambda would retry later; here the next drain does.
      return;
    }
  }

  private async fetch(): Promise<void> {
    this.streamArn ??= (await this.dynamodb.send(new DescribeTableCommand({ TableName: this.table }))).Table?.LatestStreamArn;
    if (!this.streamArn) throw new Error(`table ${this.table} has no stream`);
    const description = await this.streams.send(new DescribeStreamCommand({ StreamArn: this.streamArn }));
    for (const shard of description.StreamDescription?.Shards ?? []) {
      const id = shard.ShardId as string;
      if (!this.shards.has(id)) this.shards.set(id, { closed: false });
    }
    for (const [shardId, cursor] of this.shards) {
      if (cursor.closed) continue;
      cursor.iterator ??= (
        await this.streams.send(
          new GetShardIteratorCommand({
            StreamArn: this.streamArn,
            ShardId: shardId,
            ...(cursor.lastSequence ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: cursor.lastSequence } : { ShardIteratorType: 'TRIM_HORIZON' }),
          }),
        )
      ).ShardIterator;
      for (;;) {
        const out = await this.streams.send(new GetRecordsCommand({ ShardIterator: cursor.iterator }));
        const records = out.Records ?? [];
        this.pending.push(...records);
        if (records.length > 0) cursor.lastSequence = records[records.length - 1]?.dynamodb?.SequenceNumber;
        cursor.iterator = out.NextShardIterator;
        if (!cursor.iterator) cursor.closed = true;
        if (records.length === 0 || !cursor.iterator) break;
      }
    }
  }
}

/** The record as Lambda puts it in the event: same fields, times as epoch seconds. */
const toLambdaRecord = (streamArn: string) => (r: _Record) => ({
  eventID: r.eventID,
  eventName: r.eventName,
  eventVersion: r.eventVersion,
  eventSource: 'aws:dynamodb',
  awsRegion: r.awsRegion ?? 'us-east-1',
  eventSourceARN: streamArn,
  dynamodb: {
    ...r.dynamodb,
    ApproximateCreationDateTime: r.dynamodb?.ApproximateCreationDateTime ? Math.floor(r.dynamodb.ApproximateCreationDateTime.getTime() / 1000) : undefined,
  },
});
