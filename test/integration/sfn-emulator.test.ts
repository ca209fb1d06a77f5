// The sandbox's Step Functions endpoint, through the unmodified @aws-sdk/client-sfn.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  ListExecutionsCommand,
  SFNClient,
  StartExecutionCommand,
  StateMachineDoesNotExist,
} from '@aws-sdk/client-sfn';
import type { Sandbox } from '../../local/sandbox.js';
import { backupsOf, policy, sandbox, uniquePolicyId } from './helpers.js';

let sb: Sandbox;
let sfn: SFNClient;
beforeAll(async () => {
  sb = await sandbox();
  sfn = new SFNClient({ endpoint: sb.stepFunctions.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
});
afterAll(async () => {
  await sb?.stop();
});

const until = async (arn: string) => {
  await Promise.all(sb.stepFunctions.executions().map((e) => e.done));
  return sfn.send(new DescribeExecutionCommand({ executionArn: arn }));
};

describe('the Step Functions endpoint', () => {
  it('starts a run that a client can follow to its summary', async () => {
    const id = uniquePolicyId('sfn');
    await sb.putPolicy(policy(id, { targets: { ids: ['fs-0c0000000000000a3'] } }));
    const input = JSON.stringify({ policyId: id, trigger: 'manual' });
    const started = await sfn.send(new StartExecutionCommand({ stateMachineArn: sb.stateMachineArn, name: `${id}-manual`, input }));
    expect(started.executionArn).toBe(`${sb.stateMachineArn.replace(':stateMachine:', ':execution:')}:${id}-manual`);

    const described = await until(started.executionArn!);
    expect(described).toMatchObject({ status: 'SUCCEEDED', name: `${id}-manual`, input });
    expect(JSON.parse(described.output!)).toMatchObject({ policyId: id, status: 'SUCCEEDED' });
    expect(described.stopDate!.getTime()).toBeGreaterThan(described.startDate!.getTime());
    expect(backupsOf(sb, id)).toHaveLength(1);
  });

  it('is idempotent by name: the same input returns the same execution, another input is refused', async () => {
    const id = uniquePolicyId('sfn-name');
    await sb.putPolicy(policy(id, { targets: { ids: ['fs-0c0000000000000a3'] } }));
    const input = JSON.stringify({ policyId: id, trigger: 'manual' });
    const first = await sfn.send(new StartExecutionCommand({ stateMachineArn: sb.stateMachineArn, name: 'same', input }));
    const again = await sfn.send(new StartExecutionCommand({ stateMachineArn: sb.stateMachineArn, name: 'same', input }));
    expect(again.executionArn).toBe(first.executionArn);
    await expect(sfn.send(new StartExecutionCommand({ stateMachineArn: sb.stateMachineArn, name: 'same', input: '{"policyId":"other"}' }))).rejects.toBeInstanceOf(ExecutionAlreadyExists);
    await until(first.executionArn!);
    expect(backupsOf(sb, id)).toHaveLength(1);
  });

  it('lists executions newest first and names missing ones with the service errors', async () => {
    const list = await sfn.send(new ListExecutionsCommand({ stateMachineArn: sb.stateMachineArn }));
    expect(list.executions?.length).toBe(sb.stepFunctions.executions().length);
    await expect(sfn.send(new DescribeExecutionCommand({ executionArn: `${sb.stateMachineArn}:nope` }))).rejects.toBeInstanceOf(ExecutionDoesNotExist);
    await expect(sfn.send(new StartExecutionCommand({ stateMachineArn: `${sb.stateMachineArn}-other`, input: '{}' }))).rejects.toBeInstanceOf(StateMachineDoesNotExist);
  });
});
