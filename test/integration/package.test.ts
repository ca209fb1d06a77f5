// `osls package` offline, and what it would deploy: the state machine is the ASL file, the tables
// are configured as designed, and each function's role allows exactly the AWS calls its code makes.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { nextFireTimes } from '../../functions/shared/domain/schedule.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const read = (path: string) => readFileSync(join(root, path), 'utf8');

/** The stage packaged, which names the stack's resources. */
const STAGE = 'test';
/** Zipped size above which a bundle has probably pulled in far more than its handler needs. */
const MAX_ZIP_BYTES = 3 * 1024 * 1024;
const MANAGED_POLICIES = [
  'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole',
  'arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess',
];

// --- The packaged template ---------------------------------------------------------------------

interface Resource {
  Type: string;
  Properties: Record<string, unknown>;
}
interface Statement {
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource: unknown;
  Condition?: unknown;
}
interface RoleProperties {
  AssumeRolePolicyDocument?: { Statement: unknown[] };
  ManagedPolicyArns?: string[];
  Policies?: { PolicyName: string; PolicyDocument: { Statement: Statement[] } }[];
}

const serverless = parseYaml(read('serverless.yml')) as {
  functions: Record<string, { handler: string; role: string; events?: Record<string, unknown>[] }>;
};
const functionKeys = Object.keys(serverless.functions);
/** The logical id serverless gives a function's AWS::Lambda::Function resource. */
const lambdaLogicalId = (fn: string) => `${fn.charAt(0).toUpperCase()}${fn.slice(1)}LambdaFunction`;
const handlerFile = (fn: string) => `${serverless.functions[fn]?.handler.replace(/\.[^.]+$/, '')}.ts`;

let packageDir: string;
let packagingSeconds: number;
let resources: Record<string, Resource>;
let conditions: Record<string, unknown>;
const resource = (logicalId: string): Resource => {
  const r = resources[logicalId];
  if (!r) throw new Error(`the template has no resource ${logicalId}`);
  return r;
};
const resourcesOfType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
/** A function's environment variables as packaged (provider-wide and its own). */
const environmentOf = (fn: string) =>
  ((resource(lambdaLogicalId(fn)).Properties['Environment'] as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {});
/** The event source mappings that invoke a function. */
const eventSourceMappingsOf = (fn: string) =>
  resourcesOfType('AWS::Lambda::EventSourceMapping')
    .map(([, r]) => r.Properties)
    .filter((p) => JSON.stringify(p['FunctionName']) === JSON.stringify({ 'Fn::GetAtt': [lambdaLogicalId(fn), 'Arn'] }));

beforeAll(async () => {
  packageDir = mkdtempSync(join(tmpdir(), 'fsx-backup-package-'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    // Dummy credentials and no credential sources: nothing in packaging may reach AWS.
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_REGION: 'us-east-1',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: join(packageDir, 'no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(packageDir, 'no-aws-credentials'),
    SLS_TELEMETRY_DISABLED: '1',
    SLS_NOTIFICATIONS_MODE: 'off',
    SLS_DEPRECATION_DISABLE: '*',
    CI: 'true',
  };
  delete env.AWS_PROFILE;
  delete env.AWS_SESSION_TOKEN;
  const started = performance.now();
  await promisify(execFile)(join(root, 'node_modules/.bin/osls'), ['package', '--stage', STAGE, '--package', packageDir], {
    cwd: root,
    env,
    timeout: 170_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  packagingSeconds = (performance.now() - started) / 1000;
  const template = JSON.parse(readFileSync(join(packageDir, 'cloudformation-template-update-stack.json'), 'utf8')) as {
    Resources: Record<string, Resource>;
    Conditions?: Record<string, unknown>;
  };
  resources = template.Resources;
  conditions = template.Conditions ?? {};
}, 180_000);

afterAll(() => {
  if (packageDir) rmSync(packageDir, { recursive: true, force: true });
});

// --- CloudFormation intrinsics, resolved far enough to compare -------------------------------

const arnPlaceholder = (logicalId: string) => `<arn of ${logicalId}>`;
/** `Fn::GetAtt [logicalId, attribute]` as a placeholder; Arn is spelt as arnPlaceholder. */
const attributePlaceholder = (logicalId: string, attribute: string) => (attribute === 'Arn' ? arnPlaceholder(logicalId) : `<${attribute} of ${logicalId}>`);
/** `Ref` as a placeholder: pseudo parameters as `<AWS::Region>`, resources as `<ref of LogicalId>`. */
const refPlaceholder = (name: string) => (name.startsWith('AWS::') ? `<${name}>` : `<ref of ${name}>`);

/** Resolves the intrinsics of a packaged DefinitionString or IAM Resource into a string, with placeholders. */
function resolveToString(value: unknown): string {
  if (typeof value === 'string') return value;
  const v = value as Record<string, unknown>;
  if ('Fn::GetAtt' in v) {
    const [logicalId, attribute] = v['Fn::GetAtt'] as [string, string];
    return attributePlaceholder(logicalId, attribute);
  }
  if ('Ref' in v) return refPlaceholder(v['Ref'] as string);
  if ('Fn::Join' in v) {
    const [separator, parts] = v['Fn::Join'] as [string, unknown[]];
    return parts.map(resolveToString).join(separator);
  }
  if ('Fn::Sub' in v) {
    const sub = v['Fn::Sub'];
    const [text, variables] = (typeof sub === 'string' ? [sub, {}] : sub) as [string, Record<string, unknown>];
    return text.replace(/\$\{([^}!]+)\}/g, (whole, name: string) => {
      if (name in variables) return resolveToString(variables[name]);
      if (name.startsWith('AWS::')) return refPlaceholder(name);
      throw new Error(`unresolvable ${whole} in ${text}`);
    });
  }
  throw new Error(`unexpected intrinsic: ${JSON.stringify(value)}`);
}

/** The ASL file with each task's `Fn::GetAtt [fn, Arn]` replaced by the same placeholder. */
function aslFileWithPlaceholders(): Record<string, unknown> {
  return JSON.parse(read('statemachines/backup-run.asl.json'), (_key, value: unknown) => {
    if (value && typeof value === 'object' && 'Fn::GetAtt' in value) {
      const [fn, attribute] = (value as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'];
      expect(attribute).toBe('Arn');
      return arnPlaceholder(lambdaLogicalId(fn));
    }
    return value;
  }) as Record<string, unknown>;
}

/** `Resource` of an IAM statement, as comparable keys: "*", "<arn of LogicalId>", "arn:<AWS::Partition>:...". */
function resourceKeys(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(resourceKeys);
  if (typeof value === 'string') return [value];
  return [resolveToString(value)];
}

// --- What each function's code calls -----------------------------------------------------------

/** Which table each store class is built on (deps.ts: RUNS_TABLE / POLICIES_TABLE, see the env check). */
const tableOfStore: Record<string, string> = { RunStore: 'RunsTable', PolicyStore: 'PoliciesTable' };
/** TypeScript's spelling (forward slashes) of the store modules' directory. */
const storeDir = `${join(root, 'functions/shared/store').split(sep).join('/')}/`;

/** The Document client's commands and the DynamoDB actions they need. */
const documentClientActions: Record<string, string> = {
  GetCommand: 'GetItem',
  PutCommand: 'PutItem',
  UpdateCommand: 'UpdateItem',
  DeleteCommand: 'DeleteItem',
  QueryCommand: 'Query',
  ScanCommand: 'Scan',
  BatchGetCommand: 'BatchGetItem',
  BatchWriteCommand: 'BatchWriteItem',
  TransactGetCommand: 'TransactGetItems',
  TransactWriteCommand: 'TransactWriteItems',
};

interface CommandUse {
  module: string;
  command: string;
  /** The store class whose method sends it, if any: its table is the command's resource. */
  store?: string;
  sendsTags: boolean;
}
interface Scan {
  commands: CommandUse[];
  /** Store methods called, as "Class.method". */
  storeMethods: string[];
}

/**
 * The schedules of this stack's group, as the scheduling functions' IAM must name them: the code
 * sends every schedule command with `GroupName` = SCHEDULE_GROUP, the group's name (see the
 * environment check), and Ref of an AWS::Scheduler::ScheduleGroup is that name.
 */
const groupSchedules = 'arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/<ref of ScheduleGroup>/*';
/** Scheduler actions with no resource type: allowed on '*' or not at all. */
const schedulerActionsWithoutResource = new Set(['ListSchedules']);
/** Read by the Lambda event source mapping with the function's role, for a DynamoDB stream event. */
const dynamodbStreamActions = ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:ListStreams'];

/** What a function's role must allow for one action. */
interface Need {
  /** Resource keys (see resourceKeys), exactly; undefined where this test cannot tell them (FSx). */
  resources?: Set<string>;
  /** The Condition every statement allowing the action must carry. */
  condition?: unknown;
}
type Needs = Map<string, Need>;

function addNeed(needs: Needs, action: string, resources?: string[], condition?: unknown): void {
  const need = needs.get(action) ?? {};
  if (resources) need.resources = new Set([...(need.resources ?? []), ...resources]);
  if (condition !== undefined) need.condition = condition;
  needs.set(action, need);
}

function iamActions(use: CommandUse): string[] {
  const name = use.command.replace(/Command$/, '');
  switch (use.module) {
    case '@aws-sdk/client-fsx':
      // CreateBackup with Tags is authorized against fsx:TagResource as well.
      return name === 'CreateBackup' && use.sendsTags ? ['fsx:CreateBackup', 'fsx:TagResource'] : [`fsx:${name}`];
    case '@aws-sdk/client-dynamodb':
      return [`dynamodb:${name}`];
    case '@aws-sdk/lib-dynamodb': {
      const action = documentClientActions[use.command];
      if (!action) throw new Error(`no IAM action known for ${use.command}; add it to this test`);
      return [`dynamodb:${action}`];
    }
    case '@aws-sdk/client-scheduler':
      if (!['GetSchedule', 'CreateSchedule', 'UpdateSchedule', 'DeleteSchedule', 'ListSchedules'].includes(name)) break;
      // Create and Update require Target.RoleArn, the role Scheduler assumes: passing it is iam:PassRole.
      return name === 'CreateSchedule' || name === 'UpdateSchedule' ? [`scheduler:${name}`, 'iam:PassRole'] : [`scheduler:${name}`];
  }
  throw new Error(`no IAM mapping for ${use.module}.${use.command}; add it to this test`);
}

/**
 * The resources (and condition) one action sent by a function's code needs. DynamoDB: the table
 * of the store that sends it; Scheduler: the schedules of this stack's group; iam:PassRole: the
 * role the code passes (SCHEDULER_ROLE_ARN), and to Scheduler only.
 */
function codeNeed(fn: string, action: string, use: CommandUse): { resources?: string[]; condition?: unknown } {
  const [service, name] = action.split(':') as [string, string];
  if (service === 'dynamodb') {
    if (!use.store) throw new Error(`${fn} sends ${use.command} outside functions/shared/store, where its table cannot be told`);
    return { resources: [arnPlaceholder(tableOfStore[use.store] as string)] };
  }
  if (service === 'scheduler') return { resources: [schedulerActionsWithoutResource.has(name) ? '*' : groupSchedules] };
  if (action === 'iam:PassRole') {
    const roleArn = environmentOf(fn)['SCHEDULER_ROLE_ARN'];
    if (roleArn === undefined) throw new Error(`${fn} passes a role to Scheduler but has no SCHEDULER_ROLE_ARN`);
    return { resources: resourceKeys(roleArn), condition: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } } };
  }
  return {};
}

/**
 * What a function's events make its role need, from the packaged event source mappings (checked
 * against the events in serverless.yml): a DynamoDB stream is read with the function's role.
 */
function eventNeeds(fn: string, needs: Needs): void {
  const mappings = eventSourceMappingsOf(fn);
  const streamEvents = (serverless.functions[fn]?.events ?? []).filter((e) => 'stream' in e);
  expect(mappings, `${fn}: event source mappings against its stream events`).toHaveLength(streamEvents.length);
  for (const mapping of mappings) {
    const source = mapping['EventSourceArn'] as { 'Fn::GetAtt'?: [string, string] };
    const [table, attribute] = source['Fn::GetAtt'] ?? [];
    if (!table || attribute !== 'StreamArn' || resource(table).Type !== 'AWS::DynamoDB::Table') {
      throw new Error(`${fn}: no IAM mapping for the event source ${JSON.stringify(source)}; add it to this test`);
    }
    for (const action of dynamodbStreamActions) addNeed(needs, action, resourceKeys(source));
    // An on-failure destination is sent to with the function's role.
    const onFailure = (mapping['DestinationConfig'] as { OnFailure?: { Destination?: unknown } } | undefined)?.OnFailure?.Destination;
    if (onFailure !== undefined) {
      const [queue, queueAttribute] = (onFailure as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt'] ?? [];
      if (!queue || queueAttribute !== 'Arn' || resource(queue).Type !== 'AWS::SQS::Queue') {
        throw new Error(`${fn}: no IAM mapping for the on-failure destination ${JSON.stringify(onFailure)}; add it to this test`);
      }
      addNeed(needs, 'sqs:SendMessage', resourceKeys(onFailure));
    }
  }
}

/**
 * Reads the handlers' TypeScript with the type checker: SDK commands constructed (and paginators
 * called) anywhere in a function's own modules, and which store methods those modules call. A
 * store module counts only through the methods called, so sharing RunStore grants nothing.
 */
function analyseFunctions(): Map<string, Needs> {
  const { config } = ts.readConfigFile(join(root, 'tsconfig.json'), ts.sys.readFile);
  const options = ts.parseJsonConfigFileContent(config, ts.sys, root).options;
  const handlers = functionKeys.map((fn) => join(root, handlerFile(fn)));
  const program = ts.createProgram(handlers, { ...options, noEmit: true });
  const checker = program.getTypeChecker();

  const sdkImports = (file: ts.SourceFile) => {
    const imported = new Map<string, { module: string; name: string }>();
    for (const statement of file.statements) {
      if (!ts.isImportDeclaration(statement) || !ts.isStringLiteral(statement.moduleSpecifier)) continue;
      const module = statement.moduleSpecifier.text;
      const bindings = statement.importClause?.namedBindings;
      if (!module.startsWith('@aws-sdk/') || !bindings || !ts.isNamedImports(bindings)) continue;
      for (const el of bindings.elements) imported.set(el.name.text, { module, name: (el.propertyName ?? el.name).text });
    }
    return imported;
  };

  const scanNode = (node: ts.Node, store?: string): Scan => {
    const imported = sdkImports(node.getSourceFile());
    const out: Scan = { commands: [], storeMethods: [] };
    const visit = (n: ts.Node): void => {
      if (ts.isNewExpression(n) && ts.isIdentifier(n.expression)) {
        const sdk = imported.get(n.expression.text);
        if (sdk?.name.endsWith('Command')) {
          const arg = n.arguments?.[0];
          const sendsTags = arg !== undefined && ts.isObjectLiteralExpression(arg) && arg.properties.some((p) => p.name !== undefined && ts.isIdentifier(p.name) && p.name.text === 'Tags');
          out.commands.push({ module: sdk.module, command: sdk.name, store, sendsTags });
        }
      }
      if (ts.isCallExpression(n)) {
        if (ts.isIdentifier(n.expression)) {
          const sdk = imported.get(n.expression.text);
          if (sdk?.name.startsWith('paginate')) out.commands.push({ module: sdk.module, command: `${sdk.name.slice('paginate'.length)}Command`, store, sendsTags: false });
        }
        if (ts.isPropertyAccessExpression(n.expression)) {
          const declaration = checker.getSymbolAtLocation(n.expression.name)?.declarations?.[0];
          if (declaration && ts.isMethodDeclaration(declaration) && ts.isClassDeclaration(declaration.parent) && declaration.parent.name && declaration.getSourceFile().fileName.startsWith(storeDir)) {
            out.storeMethods.push(`${declaration.parent.name.text}.${declaration.name.getText()}`);
          }
        }
      }
      ts.forEachChild(n, visit);
    };
    visit(node);
    return out;
  };

  // What each store method sends itself, before following the methods it calls in turn.
  const storeMethods = new Map<string, Scan>();
  for (const file of program.getSourceFiles()) {
    if (!file.fileName.startsWith(storeDir)) continue;
    for (const statement of file.statements) {
      if (!ts.isClassDeclaration(statement) || !statement.name) continue;
      const className = statement.name.text;
      expect(tableOfStore, `store class ${className} has no table in this test`).toHaveProperty(className);
      for (const member of statement.members) {
        if (ts.isMethodDeclaration(member) && member.body) storeMethods.set(`${className}.${member.name.getText()}`, scanNode(member.body, className));
      }
    }
  }

  const result = new Map<string, Needs>();
  for (const fn of functionKeys) {
    // The function's own modules: relative value imports, followed from its handler.
    const files = new Set<string>();
    const queue = [join(root, handlerFile(fn)).split(sep).join('/')];
    for (let fileName = queue.shift(); fileName !== undefined; fileName = queue.shift()) {
      if (files.has(fileName)) continue;
      files.add(fileName);
      const file = program.getSourceFile(fileName);
      if (!file) throw new Error(`${fileName} is not in the program`);
      for (const statement of file.statements) {
        const isImport = ts.isImportDeclaration(statement) && !statement.importClause?.isTypeOnly;
        const isReExport = ts.isExportDeclaration(statement) && !statement.isTypeOnly;
        if (!(isImport || isReExport) || !statement.moduleSpecifier || !ts.isStringLiteral(statement.moduleSpecifier)) continue;
        if (!statement.moduleSpecifier.text.startsWith('.')) continue;
        const resolved = ts.resolveModuleName(statement.moduleSpecifier.text, fileName, options, ts.sys).resolvedModule;
        if (!resolved) throw new Error(`cannot resolve ${statement.moduleSpecifier.text} from ${fileName}`);
        queue.push(resolved.resolvedFileName);
      }
    }

    const commands: CommandUse[] = [];
    const pending: string[] = [];
    for (const fileName of files) {
      if (fileName.startsWith(storeDir)) continue;
      const scan = scanNode(program.getSourceFile(fileName) as ts.SourceFile);
      commands.push(...scan.commands);
      pending.push(...scan.storeMethods);
    }
    const called = new Set<string>();
    for (let method = pending.shift(); method !== undefined; method = pending.shift()) {
      if (called.has(method)) continue;
      called.add(method);
      const scan = storeMethods.get(method);
      if (!scan) throw new Error(`${method} was not found in functions/shared/store`);
      commands.push(...scan.commands);
      pending.push(...scan.storeMethods);
    }

    const needs: Needs = new Map();
    for (const use of commands) {
      for (const action of iamActions(use)) {
        const need = codeNeed(fn, action, use);
        addNeed(needs, action, need.resources, need.condition);
      }
    }
    eventNeeds(fn, needs);
    result.set(fn, needs);
  }
  return result;
}

function allowedByRole(roleLogicalId: string) {
  const role = resource(roleLogicalId).Properties as RoleProperties;
  const actions = new Set<string>();
  const resourcesOf = new Map<string, Set<string>>();
  /** Per action, the Condition of each statement allowing it (undefined for none). */
  const conditionsOf = new Map<string, unknown[]>();
  for (const policy of role.Policies ?? []) {
    for (const statement of policy.PolicyDocument.Statement) {
      expect(statement.Effect).toBe('Allow');
      for (const action of [statement.Action].flat()) {
        actions.add(action);
        resourcesOf.set(action, new Set([...(resourcesOf.get(action) ?? []), ...resourceKeys(statement.Resource)]));
        conditionsOf.set(action, [...(conditionsOf.get(action) ?? []), statement.Condition]);
      }
    }
  }
  return { managed: role.ManagedPolicyArns ?? [], actions, resourcesOf, conditionsOf };
}

// --- Zip archives --------------------------------------------------------------------------------

/** Entry names from a zip's central directory. */
function zipEntries(path: string): string[] {
  const zip = readFileSync(path);
  const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (eocd < 0) throw new Error(`${path} is not a zip archive`);
  const count = zip.readUInt16LE(eocd + 10);
  let offset = zip.readUInt32LE(eocd + 16);
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    const nameLength = zip.readUInt16LE(offset + 28);
    const extraLength = zip.readUInt16LE(offset + 30);
    const commentLength = zip.readUInt16LE(offset + 32);
    names.push(zip.toString('utf8', offset + 46, offset + 46 + nameLength));
    offset += 46 + nameLength + extraLength + commentLength;
  }
  return names;
}

// --- The tests -----------------------------------------------------------------------------------

describe('osls package', () => {
  it('packages the service offline in well under the time allowed', () => {
    expect(packagingSeconds).toBeLessThan(170);
  });

  it('deploys the state machine definition that is the ASL file, task ARNs included', () => {
    const machines = Object.values(resources).filter((r) => r.Type === 'AWS::StepFunctions::StateMachine');
    expect(machines).toHaveLength(1);
    const deployed = JSON.parse(resolveToString((machines[0] as Resource).Properties['DefinitionString'])) as { States: Record<string, Record<string, unknown>> };
    // serverless-step-functions spells out the default query language on every state; the file leaves it implicit.
    for (const state of Object.values(deployed.States)) {
      if (state['QueryLanguage'] === 'JSONPath') delete state['QueryLanguage'];
    }
    expect(deployed).toEqual(aslFileWithPlaceholders());
  });

  it('keeps the policies table keyed by policyId, encrypted, recoverable and streaming both images', () => {
    const table = resource('PoliciesTable');
    expect(table.Type).toBe('AWS::DynamoDB::Table');
    expect(table.Properties).toMatchObject({
      KeySchema: [{ AttributeName: 'policyId', KeyType: 'HASH' }],
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
      StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
    });
  });

  it('keeps the runs table on pk/sk, on demand, expiring items by expiresAt, with the byRunStatus index', () => {
    const table = resource('RunsTable');
    expect(table.Type).toBe('AWS::DynamoDB::Table');
    expect(table.Properties).toMatchObject({
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      SSESpecification: { SSEEnabled: true },
    });
    const indexes = table.Properties['GlobalSecondaryIndexes'] as { IndexName: string; KeySchema: unknown }[];
    expect(indexes.map((i) => i.IndexName)).toEqual(['byRunStatus']);
    expect(indexes[0]?.KeySchema).toEqual([
      { AttributeName: 'runStatus', KeyType: 'HASH' },
      { AttributeName: 'statusAt', KeyType: 'RANGE' },
    ]);
  });

  it('runs every function on nodejs22.x and arm64 under its own role, with the table names in its environment', () => {
    const roles = new Set<string>();
    for (const fn of functionKeys) {
      const lambda = resource(lambdaLogicalId(fn));
      expect(lambda.Type).toBe('AWS::Lambda::Function');
      const role = serverless.functions[fn]?.role as string;
      expect(lambda.Properties).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        Role: { 'Fn::GetAtt': [role, 'Arn'] },
        Environment: { Variables: { RUNS_TABLE: { Ref: 'RunsTable' }, POLICIES_TABLE: { Ref: 'PoliciesTable' } } },
      });
      expect(resource(role).Type).toBe('AWS::IAM::Role');
      roles.add(role);
    }
    expect(roles.size).toBe(functionKeys.length);
  });

  describe('least privilege', () => {
    let needed: ReturnType<typeof analyseFunctions>;
    beforeAll(() => {
      needed = analyseFunctions();
    }, 60_000);

    it.each(functionKeys)('allows %s exactly the actions its code calls, beside the managed logs and X-Ray policies', (fn) => {
      const allowed = allowedByRole(serverless.functions[fn]?.role as string);
      expect(allowed.managed.sort()).toEqual([...MANAGED_POLICIES].sort());
      expect([...allowed.actions].sort()).toEqual([...(needed.get(fn)?.keys() ?? [])].sort());
    });

    it.each(functionKeys)('scopes the DynamoDB, Scheduler and PassRole actions of %s to exactly the tables, streams, schedules and role it uses', (fn) => {
      const allowed = allowedByRole(serverless.functions[fn]?.role as string);
      for (const [action, need] of needed.get(fn) ?? []) {
        if (need.resources) {
          const granted = allowed.resourcesOf.get(action) ?? new Set<string>();
          if (!need.resources.has('*')) expect(granted, `${fn}: ${action} on '*'`).not.toContain('*');
          expect([...granted].sort(), `${fn}: ${action}`).toEqual([...need.resources].sort());
        }
        if (need.condition !== undefined) {
          for (const condition of allowed.conditionsOf.get(action) ?? []) expect(condition, `${fn}: ${action} condition`).toEqual(need.condition);
        }
      }
    });

    it('derives stream, Scheduler and PassRole needs for the scheduling functions, and none they lack the calls for', () => {
      // Guards the derivation itself: were it to miss these, the checks above would pass vacuously.
      const sync = needed.get('syncSchedules');
      const reconcile = needed.get('reconcileSchedules');
      expect(sync?.get('dynamodb:GetRecords')?.resources).toEqual(new Set(['<StreamArn of PoliciesTable>']));
      expect(sync?.get('scheduler:UpdateSchedule')?.resources).toEqual(new Set([groupSchedules]));
      expect(sync?.get('iam:PassRole')?.resources).toEqual(new Set([arnPlaceholder('SchedulerRole')]));
      expect(sync?.has('scheduler:ListSchedules')).toBe(false);
      expect(sync?.has('dynamodb:Scan')).toBe(false);
      expect(reconcile?.get('scheduler:ListSchedules')?.resources).toEqual(new Set(['*']));
      expect(reconcile?.get('dynamodb:Scan')?.resources).toEqual(new Set([arnPlaceholder('PoliciesTable')]));
      expect(reconcile?.has('dynamodb:GetRecords')).toBe(false);
      for (const fn of ['startRun', 'startBackups', 'checkBackups', 'finishRun']) expect([...(needed.get(fn)?.keys() ?? [])].some((a) => a.startsWith('scheduler:') || a === 'iam:PassRole'), fn).toBe(false);
    });
  });

  describe('schedules', () => {
    /** The functions that keep the policies' schedules, and read scheduling-config.ts's environment. */
    const schedulingFunctions = ['syncSchedules', 'reconcileSchedules'];
    /** Trust for a role EventBridge Scheduler assumes: that service, on behalf of this account only. */
    const schedulerTrust = {
      Effect: 'Allow',
      Principal: { Service: 'scheduler.amazonaws.com' },
      Action: 'sts:AssumeRole',
      Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
    };
    const reconcileSchedule = () => {
      const target = { 'Fn::GetAtt': [lambdaLogicalId('reconcileSchedules'), 'Arn'] };
      const schedules = resourcesOfType('AWS::Scheduler::Schedule')
        .map(([, r]) => r.Properties)
        .filter((p) => JSON.stringify((p['Target'] as { Arn?: unknown } | undefined)?.Arn) === JSON.stringify(target));
      expect(schedules).toHaveLength(1);
      return schedules[0] as Record<string, unknown>;
    };

    it('names the schedule group fsx-backup-<stage>', () => {
      const group = resource('ScheduleGroup');
      expect(group.Type).toBe('AWS::Scheduler::ScheduleGroup');
      expect(group.Properties['Name']).toBe(`fsx-backup-${STAGE}`);
    });

    it('feeds syncSchedules the policies table stream, reporting failed items, bisecting failing batches, retrying a bounded number of times, then dead-lettering', () => {
      const mappings = eventSourceMappingsOf('syncSchedules');
      expect(mappings).toHaveLength(1);
      const mapping = mappings[0] as Record<string, unknown>;
      expect(mapping).toMatchObject({
        EventSourceArn: { 'Fn::GetAtt': ['PoliciesTable', 'StreamArn'] },
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        BisectBatchOnFunctionError: true,
        // Records the sync gave up on go to the dead-letter queue, whose alarm fires.
        DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': ['ScheduleDeadLetterQueue', 'Arn'] } } },
      });
      expect(mapping['Enabled']).not.toBe(false);
      // -1 (the default when unset) retries until the record expires, blocking the shard for a day.
      const retries = mapping['MaximumRetryAttempts'];
      expect(typeof retries).toBe('number');
      expect(retries).toBeGreaterThanOrEqual(0);
      expect(retries).toBeLessThanOrEqual(10_000);
    });

    it('runs reconcileSchedules once a day from its own enabled schedule, kept out of the group the reconcile prunes', () => {
      const schedule = reconcileSchedule();
      expect(schedule['State']).toBe('ENABLED');
      const times = nextFireTimes(schedule['ScheduleExpression'] as string, (schedule['ScheduleExpressionTimezone'] as string | undefined) ?? 'UTC', new Date('2026-01-01T00:00:00Z'), 400);
      expect(times).toHaveLength(400);
      for (let i = 1; i < times.length; i++) {
        const gapHours = ((times[i] as Date).getTime() - (times[i - 1] as Date).getTime()) / 3_600_000;
        expect(gapHours, `after ${times[i - 1]?.toISOString()}`).toBeGreaterThanOrEqual(23);
        expect(gapHours, `after ${times[i - 1]?.toISOString()}`).toBeLessThanOrEqual(25);
      }
      // The reconcile deletes every schedule of the group that no policy names, so its own must live elsewhere.
      expect(schedule['GroupName']).not.toEqual({ Ref: 'ScheduleGroup' });
      expect(schedule['GroupName']).not.toBe(resource('ScheduleGroup').Properties['Name']);
    });

    it('has the reconcile schedule invoke reconcileSchedules under a role only Scheduler of this account assumes, allowed that one invoke and nothing else', () => {
      const roleArn = (reconcileSchedule()['Target'] as { RoleArn: unknown }).RoleArn as { 'Fn::GetAtt'?: [string, string] };
      const [roleId, attribute] = roleArn['Fn::GetAtt'] ?? [];
      expect(attribute).toBe('Arn');
      const role = resource(roleId as string);
      expect(role.Type).toBe('AWS::IAM::Role');
      expect((role.Properties as RoleProperties).AssumeRolePolicyDocument?.Statement).toEqual([schedulerTrust]);
      const allowed = allowedByRole(roleId as string);
      expect(allowed.managed).toEqual([]);
      expect([...allowed.actions]).toEqual(['lambda:InvokeFunction']);
      expect(allowed.resourcesOf.get('lambda:InvokeFunction')).toEqual(new Set([arnPlaceholder(lambdaLogicalId('reconcileSchedules'))]));
    });

    it('lets only EventBridge Scheduler, for this account, assume SchedulerRole', () => {
      const role = resource('SchedulerRole');
      expect(role.Type).toBe('AWS::IAM::Role');
      expect((role.Properties as RoleProperties).AssumeRolePolicyDocument?.Statement).toEqual([schedulerTrust]);
    });

    it('allows SchedulerRole exactly to start the backup run state machine and to send to the schedule dead-letter queue', () => {
      expect(resource('BackupRunStateMachine').Type).toBe('AWS::StepFunctions::StateMachine');
      const allowed = allowedByRole('SchedulerRole');
      expect(allowed.managed).toEqual([]);
      expect([...allowed.actions].sort()).toEqual(['sqs:SendMessage', 'states:StartExecution']);
      expect(allowed.resourcesOf.get('states:StartExecution')).toEqual(new Set(['<ref of BackupRunStateMachine>']));
      expect(allowed.resourcesOf.get('sqs:SendMessage')).toEqual(new Set([arnPlaceholder('ScheduleDeadLetterQueue')]));
      expect([...allowed.conditionsOf.values()].flat().filter((c) => c !== undefined)).toEqual([]);
    });

    it('encrypts the schedule dead-letter queue at rest', () => {
      const queue = resource('ScheduleDeadLetterQueue');
      expect(queue.Type).toBe('AWS::SQS::Queue');
      expect(queue.Properties['SqsManagedSseEnabled'] === true || queue.Properties['KmsMasterKeyId'] !== undefined).toBe(true);
    });

    it.each(schedulingFunctions)('gives %s the schedule group, the state machine, SchedulerRole and the dead-letter queue in its environment', (fn) => {
      const env = environmentOf(fn);
      expect(env).toMatchObject({
        STATE_MACHINE_ARN: { Ref: 'BackupRunStateMachine' },
        SCHEDULER_ROLE_ARN: { 'Fn::GetAtt': ['SchedulerRole', 'Arn'] },
        SCHEDULE_DLQ_ARN: { 'Fn::GetAtt': ['ScheduleDeadLetterQueue', 'Arn'] },
        POLICIES_TABLE: { Ref: 'PoliciesTable' },
      });
      // The group by name or by Ref, which is its name: the IAM grants are scoped by Ref ScheduleGroup.
      expect([resource('ScheduleGroup').Properties['Name'], { Ref: 'ScheduleGroup' }]).toContainEqual(env['SCHEDULE_GROUP']);
    });
  });

  describe('console: dashboard, alarms, Step Functions logging, RPO check', () => {
    /** The FsxBackup metrics the code emits, by the literal names in the modules that emit them. */
    const emittedMetricNames = () => {
      const code = ['functions/finish-run/finish-run.ts', 'functions/check-backups/check-backups.ts', 'functions/check-rpo/check-rpo.ts'].map(read).join('\n');
      const names = new Set([...code.matchAll(/addMetric\('(\w+)'|policyMetric\(policyId, '(\w+)'/g)].map((m) => (m[1] ?? m[2]) as string));
      // finish-run emits `Runs${status}` for every finished status.
      if (code.includes('addMetric(`Runs${run.status}`')) for (const status of ['SUCCEEDED', 'PARTIAL', 'FAILED', 'NO_TARGETS', 'POLICY_DISABLED', 'POLICY_NOT_FOUND']) names.add(`Runs${status}`);
      return names;
    };
    const dashboard = () => {
      const dashboards = resourcesOfType('AWS::CloudWatch::Dashboard');
      expect(dashboards).toHaveLength(1);
      return JSON.parse(resolveToString((dashboards[0]?.[1] as Resource).Properties['DashboardBody'])) as {
        widgets: { type: string; properties: { region?: string; metrics?: unknown[][]; query?: string; alarms?: string[] } }[];
      };
    };
    const functionLogGroup = (fn: string) => {
      const id = `${fn.charAt(0).toUpperCase()}${fn.slice(1)}LogGroup`;
      expect(resource(id).Properties['LogGroupName']).toBe(`/aws/lambda/fsx-backup-${STAGE}-${fn}`);
      return id;
    };
    const alarmTopic = { Ref: 'AlarmTopic' };
    const stateMachine = { Ref: 'BackupRunStateMachine' };
    /** Every alarm: the metric (or Metrics Insights query) it watches, and how it treats missing data. */
    const alarms: Record<string, { metric: Record<string, unknown>; missing: string }> = {
      RunFailedAlarm: { metric: { Metrics: [{ Id: 'failedRuns', Expression: 'SELECT SUM(RunsFAILED) FROM SCHEMA(FsxBackup, policyId, service)', Period: 300, ReturnData: true }] }, missing: 'notBreaching' },
      RunPartialAlarm: { metric: { Metrics: [{ Id: 'partialRuns', Expression: 'SELECT SUM(RunsPARTIAL) FROM SCHEMA(FsxBackup, policyId, service)', Period: 300, ReturnData: true }] }, missing: 'notBreaching' },
      ExecutionsFailedAlarm: { metric: { Namespace: 'AWS/States', MetricName: 'ExecutionsFailed', Dimensions: [{ Name: 'StateMachineArn', Value: stateMachine }], Statistic: 'Sum' }, missing: 'notBreaching' },
      ExecutionsTimedOutAlarm: { metric: { Namespace: 'AWS/States', MetricName: 'ExecutionsTimedOut', Dimensions: [{ Name: 'StateMachineArn', Value: stateMachine }], Statistic: 'Sum' }, missing: 'notBreaching' },
      ScheduleDeadLetterAlarm: {
        metric: { Namespace: 'AWS/SQS', MetricName: 'ApproximateNumberOfMessagesVisible', Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': ['ScheduleDeadLetterQueue', 'QueueName'] } }] },
        missing: 'notBreaching',
      },
      // Reported every 15 minutes, 0 included: silence means the check stopped.
      TargetsOverRpoAlarm: { metric: { Namespace: 'FsxBackup', MetricName: 'TargetsOverRpo', Dimensions: [{ Name: 'service', Value: 'fsx-backup' }], Statistic: 'Maximum' }, missing: 'breaching' },
    };

    it('has a dashboard in the stack\'s region showing every FsxBackup metric the code emits, and the AWS/States executions', () => {
      const body = dashboard();
      const metricWidgets = body.widgets.filter((w) => w.type === 'metric');
      for (const w of metricWidgets) expect(w.properties.region).toBe('<AWS::Region>');
      const metricRows = metricWidgets.flatMap((w) => w.properties.metrics ?? []);
      const expressions = metricRows.flat().map((m) => (m as { expression?: string }).expression ?? '').join('\n');
      const emitted = emittedMetricNames();
      expect([...emitted].sort()).toEqual(
        ['BackupDuration', 'BackupsFailed', 'BackupsSkipped', 'BackupsSucceeded', 'BackupsTimedOut', 'InFlightBackups', 'OldestGoodBackupAgeHours', 'RunDuration', 'RunsFAILED', 'RunsNO_TARGETS', 'RunsPARTIAL', 'RunsPOLICY_DISABLED', 'RunsPOLICY_NOT_FOUND', 'RunsSUCCEEDED', 'StartLag', 'TargetsOverRpo'].sort(),
      );
      for (const name of [...emitted].filter((n) => n !== 'RunDuration')) expect(expressions, name).toContain(`MetricName="${name}"`);
      expect(expressions).toContain('{FsxBackup,policyId,service}');
      for (const [metric, stat] of [['StartLag', 'p50'], ['StartLag', 'p90'], ['BackupDuration', 'p50'], ['BackupDuration', 'p90']]) {
        expect(expressions).toContain(`MetricName="${metric}"', '${stat}'`);
      }
      for (const m of ['ExecutionsStarted', 'ExecutionsSucceeded', 'ExecutionsFailed', 'ExecutionsTimedOut']) {
        expect(metricRows).toContainEqual(['AWS/States', m, 'StateMachineArn', '<ref of BackupRunStateMachine>']);
      }
    });

    it('lists the latest runs and every target not backed up from the finishRun log group, by the lines Finish run writes', () => {
      const queries = dashboard().widgets.filter((w) => w.type === 'log').map((w) => w.properties.query ?? '');
      const finishLog = `SOURCE '<ref of ${functionLogGroup('finishRun')}>'`;
      const latestRuns = queries.find((q) => q.includes('"run finished"'));
      const failedTargets = queries.find((q) => q.includes('"target not backed up"'));
      expect(latestRuns?.startsWith(finishLog)).toBe(true);
      expect(failedTargets?.startsWith(finishLog)).toBe(true);
      expect(latestRuns).toMatch(/fields .*policyId, scheduledTime, status/);
      expect(failedTargets).toMatch(/fields .*targetId, status, error, reason/);
      expect(queries.find((q) => q.includes('"targets over RPO"'))?.startsWith(`SOURCE '<ref of ${functionLogGroup('checkRpo')}>'`)).toBe(true);
      const code = read('functions/finish-run/finish-run.ts') + read('functions/check-rpo/check-rpo.ts');
      for (const message of ['run finished', 'target not backed up', 'targets over RPO']) expect(code).toContain(`'${message}'`);
      // The same queries, to the letter, are in the operating guide.
      const oneLine = (text: string) => text.replace(/\s+/g, ' ');
      const guide = oneLine(read('docs/operating.md'));
      for (const q of [latestRuns, failedTargets]) expect(guide).toContain(oneLine((q as string).replace(/^SOURCE '[^']+' \| /, '')));
    });

    it.each(Object.keys(alarms))('has %s watch its metric at a threshold of 1 and notify AlarmTopic', (id) => {
      const alarm = resource(id);
      expect(alarm.Type).toBe('AWS::CloudWatch::Alarm');
      const expected = alarms[id] as (typeof alarms)[string];
      expect(alarm.Properties).toMatchObject({
        ...expected.metric,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        Threshold: 1,
        TreatMissingData: expected.missing,
        AlarmActions: [alarmTopic],
      });
      expect(alarm.Properties['AlarmName']).toMatch(new RegExp(`^fsx-backup-${STAGE}-`));
      expect(dashboard().widgets.find((w) => w.type === 'alarm')?.properties.alarms).toContain(arnPlaceholder(id));
    });

    it('sends the alarms to an SNS topic CloudWatch can publish to, with an email subscription only when alarmEmail is set', () => {
      const topic = resource('AlarmTopic');
      expect(topic.Type).toBe('AWS::SNS::Topic');
      // The AWS-managed key (alias/aws/sns) would make every notification fail silently.
      expect(topic.Properties['KmsMasterKeyId']).not.toBe('alias/aws/sns');
      const subscriptions = resourcesOfType('AWS::SNS::Subscription');
      expect(subscriptions).toHaveLength(1);
      const [id, subscription] = subscriptions[0] as [string, Resource & { Condition?: string }];
      expect(subscription.Properties).toMatchObject({ TopicArn: alarmTopic, Protocol: 'email' });
      expect(subscription.Condition, id).toBeDefined();
      // Deployed with the default parameter (empty), the condition is false and no subscription is made.
      const endpoint = subscription.Properties['Endpoint'];
      expect(endpoint).toBe('');
      expect(conditions[subscription.Condition as string]).toEqual({ 'Fn::Not': [{ 'Fn::Equals': [endpoint, ''] }] });
      expect((parseYaml(read('serverless.yml')) as { params: { default: Record<string, unknown> } }).params.default['alarmEmail']).toBe('');
    });

    it('logs the state machine\'s errors without execution data to a log group with a retention, and traces it with X-Ray', () => {
      const machine = resource('BackupRunStateMachine');
      expect(machine.Properties['TracingConfiguration']).toEqual({ Enabled: true });
      const logging = machine.Properties['LoggingConfiguration'] as { Level: string; IncludeExecutionData: boolean; Destinations: { CloudWatchLogsLogGroup: { LogGroupArn: unknown } }[] };
      expect(['ERROR', 'ALL']).toContain(logging.Level);
      expect(logging.IncludeExecutionData).toBe(false);
      expect(logging.Destinations).toEqual([{ CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': ['BackupRunLogGroup', 'Arn'] } } }]);
      const group = resource('BackupRunLogGroup');
      expect(group.Type).toBe('AWS::Logs::LogGroup');
      expect(group.Properties['RetentionInDays']).toBeGreaterThan(0);
    });

    it('runs checkRpo every 15 minutes under a trigger role only Scheduler of this account assumes, allowed that one invoke', () => {
      const target = { 'Fn::GetAtt': [lambdaLogicalId('checkRpo'), 'Arn'] };
      const schedules = resourcesOfType('AWS::Scheduler::Schedule')
        .map(([, r]) => r.Properties)
        .filter((p) => JSON.stringify((p['Target'] as { Arn?: unknown } | undefined)?.Arn) === JSON.stringify(target));
      expect(schedules).toHaveLength(1);
      const schedule = schedules[0] as { State: string; ScheduleExpression: string; Target: { RoleArn: { 'Fn::GetAtt': [string, string] } } };
      expect(schedule).toMatchObject({ State: 'ENABLED', ScheduleExpression: 'rate(15 minutes)' });
      const [roleId] = schedule.Target.RoleArn['Fn::GetAtt'];
      expect((resource(roleId).Properties as RoleProperties).AssumeRolePolicyDocument?.Statement).toEqual([
        { Effect: 'Allow', Principal: { Service: 'scheduler.amazonaws.com' }, Action: 'sts:AssumeRole', Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } } },
      ]);
      const allowed = allowedByRole(roleId);
      expect(allowed.managed).toEqual([]);
      expect([...allowed.actions]).toEqual(['lambda:InvokeFunction']);
      expect(allowed.resourcesOf.get('lambda:InvokeFunction')).toEqual(new Set([arnPlaceholder(lambdaLogicalId('checkRpo'))]));
    });

    it('derives checkRpo\'s needs: read the policies, read runs and write only RPO items, nothing of FSx', () => {
      // Guards the derivation that the least-privilege checks above compare checkRpo's role with.
      const needs = analyseFunctions().get('checkRpo');
      expect([...(needs?.keys() ?? [])].sort()).toEqual(['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:Scan', 'dynamodb:UpdateItem']);
      expect(needs?.get('dynamodb:Scan')?.resources).toEqual(new Set([arnPlaceholder('PoliciesTable')]));
      expect(needs?.get('dynamodb:PutItem')?.resources).toEqual(new Set([arnPlaceholder('RunsTable')]));
      expect(needs?.get('dynamodb:GetItem')?.resources).toEqual(new Set([arnPlaceholder('PoliciesTable')]));
    }, 60_000);
  });

  it('builds one small zip per function, holding only that function\'s bundle', () => {
    const zips = readdirSync(packageDir).filter((f) => f.endsWith('.zip'));
    expect(zips.sort()).toEqual(functionKeys.map((fn) => `${fn}.zip`).sort());
    for (const fn of functionKeys) {
      const path = join(packageDir, `${fn}.zip`);
      expect(statSync(path).size, `${fn}.zip`).toBeLessThan(MAX_ZIP_BYTES);
      const bundle = handlerFile(fn).replace(/\.ts$/, '.js');
      expect(zipEntries(path).sort()).toEqual([bundle, `${bundle}.map`]);
      const code = resource(lambdaLogicalId(fn)).Properties['Code'] as { S3Key: string };
      expect(code.S3Key.endsWith(`/${fn}.zip`)).toBe(true);
    }
  });
});
