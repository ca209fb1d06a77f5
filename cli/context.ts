// Where a command talks to: the deployed stack of a stage in an AWS account (region, profile,
// stage, like the AWS CLI), or a running sandbox (--local). Builds the SDK clients once.
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { FSxClient } from '@aws-sdk/client-fsx';
import { SFNClient } from '@aws-sdk/client-sfn';
import { fromIni } from '@aws-sdk/credential-providers';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../functions/shared/store/document-client.js';
import { PolicyStore } from '../functions/shared/store/policies.js';
import { RunStore } from '../functions/shared/store/runs.js';
import { EnvironmentError, explainError, type ErrorContext } from './errors.js';
import { readSandboxFile, type SandboxConnection } from './sandbox-file.js';

export interface GlobalOptions {
  json?: boolean;
  region?: string;
  profile?: string;
  stage: string;
  local?: boolean;
}

export interface Context {
  mode: 'aws' | 'local';
  stage: string;
  region?: string;
  stackName: string;
  tables: { policies: string; runs: string };
  db: DynamoDBDocumentClient;
  runs: RunStore;
  policies: PolicyStore;
  fsx: FSxClient;
  sfn: SFNClient;
  /** The backup-run state machine: from the sandbox, or the stack's BackupRunStateMachineArn output. */
  stateMachineArn(): Promise<string>;
  /** The time the workflow sees: the wall clock, or the sandbox's virtual clock. */
  now(): Date;
  /** How often `run --wait` polls. */
  pollMs: number;
  errorContext: ErrorContext;
}

const SERVICE = 'fsx-backup';

export function createContext(opts: GlobalOptions): Context {
  return opts.local ? localContext() : awsContext(opts);
}

function awsContext(opts: GlobalOptions): Context {
  const stage = opts.stage;
  const stackName = `${SERVICE}-${stage}`;
  // --profile uses that profile's credentials, even when the environment has others (as the AWS CLI does).
  const clientConfig = {
    ...(opts.region ? { region: opts.region } : {}),
    ...(opts.profile ? { profile: opts.profile, credentials: fromIni({ profile: opts.profile }) } : {}),
  };
  const tables = { policies: `${stackName}-policies`, runs: `${stackName}-runs` };
  const errorContext: ErrorContext = { mode: 'aws', stage, region: opts.region };
  const dynamo = new DynamoDBClient(clientConfig);
  explainMissingTables(dynamo, `is the stack deployed? npx osls deploy --stage ${stage}${opts.region ? ` --region ${opts.region}` : ''}`);
  const cloudFormation = new CloudFormationClient(clientConfig);
  let arn: Promise<string> | undefined;
  return {
    ...stores(dynamo, tables),
    mode: 'aws',
    stage,
    region: opts.region,
    stackName,
    tables,
    fsx: new FSxClient(clientConfig),
    sfn: new SFNClient(clientConfig),
    stateMachineArn: () => (arn ??= stackOutput(cloudFormation, stackName, 'BackupRunStateMachineArn', stage, errorContext)),
    now: () => new Date(),
    pollMs: 2000,
    errorContext,
  };
}

function localContext(): Context {
  const sandbox: SandboxConnection = readSandboxFile();
  const clientConfig = {
    region: sandbox.region,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    // A sandbox that does not answer is not going to answer on a retry either.
    maxAttempts: 2,
  };
  const dynamo = new DynamoDBClient({ ...clientConfig, endpoint: sandbox.endpoints.dynamodb });
  explainMissingTables(dynamo, 'the sandbox creates it: restart it with npm start -- --serve');
  const clock = sandbox.clock;
  return {
    ...stores(dynamo, { policies: sandbox.policiesTable, runs: sandbox.runsTable }),
    mode: 'local',
    stage: sandbox.stage,
    region: sandbox.region,
    stackName: sandbox.stackName,
    tables: { policies: sandbox.policiesTable, runs: sandbox.runsTable },
    fsx: new FSxClient({ ...clientConfig, endpoint: sandbox.endpoints.fsx }),
    sfn: new SFNClient({ ...clientConfig, endpoint: sandbox.endpoints.stepfunctions }),
    stateMachineArn: () => Promise.resolve(sandbox.stateMachineArn),
    now: () => (clock ? new Date(Date.parse(clock.virtual) + (Date.now() - Date.parse(clock.wall)) * clock.speed) : new Date()),
    pollMs: 250,
    errorContext: { mode: 'local', stage: sandbox.stage, region: sandbox.region },
  };
}

function stores(dynamo: DynamoDBClient, tables: { policies: string; runs: string }) {
  const db = documentClient(dynamo);
  return { db, runs: new RunStore(db, tables.runs), policies: new PolicyStore(db, tables.policies) };
}

/** DynamoDB's ResourceNotFoundException does not name the table; the request does. */
function explainMissingTables(client: DynamoDBClient, hint: string): void {
  client.middlewareStack.add(
    (next) => async (args) => {
      try {
        return await next(args);
      } catch (e: unknown) {
        if (e instanceof Error && e.name === 'ResourceNotFoundException') {
          const input = args.input as { TableName?: string };
          throw new EnvironmentError(`the table ${input.TableName ?? '(unknown)'} does not exist: ${hint}`, { cause: e });
        }
        throw e;
      }
    },
    { step: 'initialize', name: 'fsxBackupExplainMissingTables' },
  );
}

async function stackOutput(client: CloudFormationClient, stackName: string, key: string, stage: string, ctx: ErrorContext): Promise<string> {
  let outputs;
  try {
    const out = await client.send(new DescribeStacksCommand({ StackName: stackName }));
    outputs = out.Stacks?.[0]?.Outputs ?? [];
  } catch (e: unknown) {
    if (e instanceof Error && e.name === 'ValidationError' && /does not exist/.test(e.message)) {
      throw new EnvironmentError(`the stack ${stackName} does not exist${ctx.region ? ` in ${ctx.region}` : ''}: is it deployed? npx osls deploy --stage ${stage}`, { cause: e });
    }
    throw explainError(e, ctx);
  }
  const value = outputs.find((o) => o.OutputKey === key)?.OutputValue;
  if (!value) throw new EnvironmentError(`the stack ${stackName} has no output ${key}: deploy the current version (npx osls deploy --stage ${stage})`);
  return value;
}
