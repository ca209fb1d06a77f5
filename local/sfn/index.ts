// A Step Functions API endpoint for the sandbox: StartExecution, DescribeExecution and
// ListExecutions over the real awsJson1_0 protocol, backed by the workflow runner, so the CLI
// and the unmodified @aws-sdk/client-sfn start and follow runs as they would on AWS.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Clock } from '../../functions/shared/clock.js';
import { listen, readBody, sendJson } from '../http.js';
import type { ExecutionOutcome, WorkflowRunner } from '../runner.js';

export interface ExecutionRecord {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED';
  startDate: Date;
  stopDate?: Date;
  input: string;
  output?: string;
  error?: string;
  cause?: string;
  done: Promise<ExecutionOutcome>;
}

export interface StepFunctionsEmulator {
  endpoint: string;
  executions(): ExecutionRecord[];
  /** What StartExecution does; also the path the Scheduler emulator's deliveries take. */
  startExecution(input: string, name?: string): ExecutionRecord;
  close(): Promise<void>;
}

class ApiError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

const NAME = /^[^\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]{1,80}$/;

export async function startStepFunctionsEmulator(opts: { runner: WorkflowRunner; clock: Clock; stateMachineArn: string; port?: number }): Promise<StepFunctionsEmulator> {
  const { runner, clock, stateMachineArn } = opts;
  const byArn = new Map<string, ExecutionRecord>();
  const machineName = stateMachineArn.split(':').pop() ?? 'backup-run';

  function startExecution(input: string, name: string = randomUUID()): ExecutionRecord {
    if (!NAME.test(name)) throw new ApiError('InvalidName', `Invalid Name: '${name}'`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(input);
    } catch {
      throw new ApiError('InvalidExecutionInput', 'Invalid State Machine Execution Input: the input is not valid JSON');
    }
    const executionArn = `arn:aws:states:us-east-1:123456789012:execution:${machineName}:${name}`;
    const existing = byArn.get(executionArn);
    if (existing) {
      // Standard workflows are idempotent by name: the same input returns the same execution.
      if (existing.input === input) return existing;
      throw new ApiError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
    }
    const record: ExecutionRecord = {
      executionArn,
      stateMachineArn,
      name,
      status: 'RUNNING',
      startDate: clock.now(),
      input,
      done: runner.execute(parsed as Record<string, unknown>, name).then((outcome) => {
        record.status = outcome.status;
        record.stopDate = clock.now();
        if (outcome.output !== undefined) record.output = JSON.stringify(outcome.output);
        if (outcome.error) {
          record.error = outcome.error.name;
          record.cause = outcome.error.message;
        }
        return outcome;
      }),
    };
    byArn.set(executionArn, record);
    return record;
  }

  const describe = (r: ExecutionRecord) => ({
    executionArn: r.executionArn,
    stateMachineArn: r.stateMachineArn,
    name: r.name,
    status: r.status,
    startDate: r.startDate.getTime() / 1000,
    ...(r.stopDate ? { stopDate: r.stopDate.getTime() / 1000 } : {}),
    input: r.input,
    ...(r.output !== undefined ? { output: r.output } : {}),
    ...(r.error ? { error: r.error, cause: r.cause } : {}),
  });

  const operations: Record<string, (body: Record<string, unknown>) => unknown> = {
    StartExecution: (body) => {
      if (body.stateMachineArn !== stateMachineArn) throw new ApiError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${String(body.stateMachineArn)}'`);
      const r = startExecution(typeof body.input === 'string' ? body.input : '{}', typeof body.name === 'string' ? body.name : undefined);
      return { executionArn: r.executionArn, startDate: r.startDate.getTime() / 1000 };
    },
    DescribeExecution: (body) => {
      const r = byArn.get(String(body.executionArn));
      if (!r) throw new ApiError('ExecutionDoesNotExist', `Execution Does Not Exist: '${String(body.executionArn)}'`);
      return describe(r);
    },
    ListExecutions: (body) => {
      if (body.stateMachineArn !== stateMachineArn) throw new ApiError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${String(body.stateMachineArn)}'`);
      const all = [...byArn.values()]
        .filter((r) => !body.statusFilter || r.status === body.statusFilter)
        .sort((a, b) => b.startDate.getTime() - a.startDate.getTime());
      const start = typeof body.nextToken === 'string' ? Number(body.nextToken) : 0;
      const size = typeof body.maxResults === 'number' && body.maxResults > 0 ? Math.min(body.maxResults, 1000) : 100;
      const page = all.slice(start, start + size);
      return {
        executions: page.map((r) => ({ executionArn: r.executionArn, stateMachineArn, name: r.name, status: r.status, startDate: r.startDate.getTime() / 1000, ...(r.stopDate ? { stopDate: r.stopDate.getTime() / 1000 } : {}) })),
        ...(start + size < all.length ? { nextToken: String(start + size) } : {}),
      };
    },
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void readBody(req).then((raw) => {
      try {
        const target = String(req.headers['x-amz-target'] ?? '');
        const op = operations[target.replace(/^AWSStepFunctions\./, '')];
        if (req.method !== 'POST' || !op) throw new ApiError('UnknownOperationException', `unsupported operation ${target || req.url}`);
        sendJson(res, 200, op(raw ? (JSON.parse(raw) as Record<string, unknown>) : {}), { 'content-type': 'application/x-amz-json-1.0' });
      } catch (e: unknown) {
        const err = e instanceof ApiError ? e : new ApiError('InternalServerError', e instanceof Error ? e.message : String(e), 500);
        sendJson(res, err.status, { __type: err.type, message: err.message }, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-errortype': err.type });
      }
    });
  });
  const http = await listen(server, opts.port ?? 0, '127.0.0.1');
  return {
    endpoint: http.endpoint,
    executions: () => [...byArn.values()],
    startExecution,
    close: http.close,
  };
}
