// The HTTP face of the emulator: FSx's awsJson1_1 protocol on `POST /`, and a test-control API
// under `/_emulator/` (a path FSx never uses).
import { readBody, sendJson } from '../http.js';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Clock } from '../../functions/shared/clock.js';
import {
  FsxServiceError,
  internalServerError,
  serializationError,
  unknownOperation,
} from './errors.js';
import { FaultError, type Faults } from './faults.js';
import { FleetError, parseFleet } from './fleet.js';
import type { FsxModel } from './model.js';
import type { Input } from './validate.js';

export const TARGET_PREFIX = 'AWSSimbaAPIService_v20180301.';
export const CONTROL_PREFIX = '/_emulator/';

export interface ServerContext {
  clock: Clock;
  model: FsxModel;
  faults: Faults;
  calls: Record<string, number>;
  resetCalls(): void;
  reset(fleet?: unknown): void;
}

type Operation = (model: FsxModel, input: Input) => object;

const OPERATIONS: Readonly<Record<string, Operation>> = {
  CreateBackup: (m, i) => m.createBackup(i),
  DescribeBackups: (m, i) => m.describeBackups(i),
  DeleteBackup: (m, i) => m.deleteBackup(i),
  DescribeFileSystems: (m, i) => m.describeFileSystems(i),
  DescribeVolumes: (m, i) => m.describeVolumes(i),
  ListTagsForResource: (m, i) => m.listTagsForResource(i),
  TagResource: (m, i) => m.tagResource(i),
  UntagResource: (m, i) => m.untagResource(i),
};

export const SUPPORTED_OPERATIONS = Object.freeze(Object.keys(OPERATIONS));

export function createFsxServer(ctx: ServerContext): Server {
  return createServer((req, res) => {
    void readBody(req)
      .then((body) => (req.url?.startsWith(CONTROL_PREFIX) ? handleControl(ctx, req, res, body) : handleFsx(ctx, req, res, body)))
      .catch((e: unknown) => {
        if (!res.headersSent) sendError(res, internalServerError(e instanceof Error ? e.message : String(e)));
      });
  });
}

async function handleFsx(ctx: ServerContext, req: IncomingMessage, res: ServerResponse, body: string): Promise<void> {
  const target = headerValue(req, 'x-amz-target') ?? '';
  const operation = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : target || '(none)';
  ctx.calls[operation] = (ctx.calls[operation] ?? 0) + 1;

  const plan = ctx.faults.plan(operation);
  if (plan.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, plan.latencyMs));
  if (plan.reject) return sendError(res, plan.reject);

  let response: object;
  try {
    const handler = req.method === 'POST' && target.startsWith(TARGET_PREFIX) ? OPERATIONS[operation] : undefined;
    if (!handler) throw unknownOperation(target);
    response = handler(ctx.model, parseInput(body));
  } catch (e: unknown) {
    response = e instanceof FsxServiceError ? e : internalServerError(e instanceof Error ? e.message : String(e));
  }

  // The operation has happened (or failed); the caller just never hears about it.
  if (plan.lose === 'reset') {
    req.socket.destroy();
    return;
  }
  if (plan.lose === '500') return sendError(res, internalServerError());
  if (response instanceof FsxServiceError) return sendError(res, response);
  sendJson(res, 200, response, { 'content-type': 'application/x-amz-json-1.1' });
}

function parseInput(body: string): Input {
  if (body.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw serializationError('The request body is not valid JSON.');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw serializationError('The request body must be a JSON object.');
  }
  return parsed as Input;
}

function handleControl(ctx: ServerContext, req: IncomingMessage, res: ServerResponse, body: string): void {
  const url = new URL(req.url ?? '/', 'http://emulator');
  const route = `${req.method ?? 'GET'} ${url.pathname.slice(CONTROL_PREFIX.length - 1)}`;
  try {
    const json = (): unknown => (body.trim() === '' ? undefined : JSON.parse(body));
    switch (route) {
      case 'GET /health':
        return sendJson(res, 200, { ok: true, now: ctx.clock.now().toISOString() });
      case 'GET /backups':
        return sendJson(res, 200, { Backups: ctx.model.backups({ includeDeleted: url.searchParams.get('includeDeleted') === 'true' }) });
      case 'GET /calls':
        return sendJson(res, 200, { calls: ctx.calls });
      case 'DELETE /calls':
        ctx.resetCalls();
        return sendJson(res, 200, { calls: ctx.calls });
      case 'GET /faults':
        return sendJson(res, 200, { faults: ctx.faults.list() });
      case 'POST /faults':
        return sendJson(res, 200, { faults: ctx.faults.add(json() as never) });
      case 'DELETE /faults':
        ctx.faults.clear();
        return sendJson(res, 200, { faults: [] });
      case 'POST /lifecycle': {
        const input = (json() ?? {}) as { resourceId?: unknown; lifecycle?: unknown };
        ctx.model.setLifecycle(String(input.resourceId), String(input.lifecycle));
        return sendJson(res, 200, { ok: true });
      }
      case 'POST /reset':
        ctx.reset(json());
        return sendJson(res, 200, { ok: true });
      default:
        return sendJson(res, 404, { error: `no control route ${route}` });
    }
  } catch (e: unknown) {
    const known = e instanceof FaultError || e instanceof FleetError || e instanceof SyntaxError || e instanceof FsxServiceError;
    return sendJson(res, known ? 400 : 500, { error: e instanceof Error ? e.message : String(e) });
  }
}

/** Validates a fleet posted to /_emulator/reset; undefined keeps the current fleet. */
export function fleetFromControl(body: unknown) {
  return body === undefined ? undefined : parseFleet(body, 'fleet posted to /_emulator/reset');
}

function sendError(res: ServerResponse, error: FsxServiceError): void {
  sendJson(
    res,
    error.status,
    { __type: error.code, Message: error.message, ...error.members },
    { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': error.code },
  );
}



function headerValue(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

