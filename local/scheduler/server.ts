// The HTTP face of the Scheduler emulator: EventBridge Scheduler's REST-JSON protocol (the
// routes and query parameters of @aws-sdk/client-scheduler's operation model) over node:http.
import { readBody, sendJson } from '../http.js';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { internalServerError, SchedulerServiceError, unknownOperation, validation } from './errors.js';
import type { SchedulerModel } from './model.js';
import { parseGroupBody, parseListQuery, parseScheduleBody, parseTagResourceBody } from './validate.js';

export interface ServerContext {
  model: SchedulerModel;
  calls: Record<string, number>;
}

interface Request {
  method: string;
  /** Path segments after the first, URL-decoded: `/schedules/a%2Fb` → ['a/b']. */
  params: string[];
  query: URLSearchParams;
  body: () => unknown;
}

type Handler = (model: SchedulerModel, req: Request) => object;

/** Routes keyed `METHOD /collection` or `METHOD /collection/{}`, as the SDK's operation model has them. */
const ROUTES: Readonly<Record<string, { operation: string; handle: Handler }>> = {
  'POST /schedules/{}': {
    operation: 'CreateSchedule',
    handle: (m, r) => m.createSchedule(param(r), parseScheduleBody(r.body())),
  },
  'PUT /schedules/{}': {
    operation: 'UpdateSchedule',
    handle: (m, r) => m.updateSchedule(param(r), parseScheduleBody(r.body())),
  },
  'GET /schedules/{}': {
    operation: 'GetSchedule',
    handle: (m, r) => m.getSchedule(param(r), r.query.get('groupName') ?? undefined),
  },
  'DELETE /schedules/{}': {
    operation: 'DeleteSchedule',
    handle: (m, r) => m.deleteSchedule(param(r), r.query.get('groupName') ?? undefined),
  },
  'GET /schedules': {
    operation: 'ListSchedules',
    handle: (m, r) => m.listSchedules(parseListQuery(r.query)),
  },
  'POST /schedule-groups/{}': {
    operation: 'CreateScheduleGroup',
    handle: (m, r) => m.createScheduleGroup(param(r), parseGroupBody(r.body()).Tags),
  },
  'GET /schedule-groups/{}': {
    operation: 'GetScheduleGroup',
    handle: (m, r) => m.getScheduleGroup(param(r)),
  },
  'DELETE /schedule-groups/{}': {
    operation: 'DeleteScheduleGroup',
    handle: (m, r) => m.deleteScheduleGroup(param(r)),
  },
  'GET /schedule-groups': {
    operation: 'ListScheduleGroups',
    handle: (m, r) => m.listScheduleGroups(parseListQuery(r.query)),
  },
  'GET /tags/{}': {
    operation: 'ListTagsForResource',
    handle: (m, r) => m.listTagsForResource(param(r)),
  },
  'POST /tags/{}': {
    operation: 'TagResource',
    handle: (m, r) => m.tagResource(param(r), parseTagResourceBody(r.body()).Tags),
  },
  'DELETE /tags/{}': {
    operation: 'UntagResource',
    handle: (m, r) => m.untagResource(param(r), r.query.getAll('TagKeys')),
  },
};

export const SUPPORTED_OPERATIONS = Object.freeze(Object.values(ROUTES).map((r) => r.operation));

export function createSchedulerServer(ctx: ServerContext): Server {
  return createServer((req, res) => {
    void readBody(req)
      .then((body) => handle(ctx, req, res, body))
      .catch((e: unknown) => {
        if (!res.headersSent) sendError(res, internalServerError(e instanceof Error ? e.message : String(e)));
      });
  });
}

function handle(ctx: ServerContext, req: IncomingMessage, res: ServerResponse, rawBody: string): void {
  const method = req.method ?? 'GET';
  const url = new URL(req.url ?? '/', 'http://emulator');
  // Split before decoding: a name or ARN segment may itself contain an encoded '/'.
  const [collection = '', ...segments] = url.pathname.split('/').slice(1);
  const shape = segments.length === 0 ? '' : segments.length === 1 ? '/{}' : '/{}/...';
  const route = ROUTES[`${method} /${collection}${shape}`];
  const operation = route?.operation ?? `${method} ${url.pathname}`;
  ctx.calls[operation] = (ctx.calls[operation] ?? 0) + 1;
  try {
    if (!route) throw unknownOperation(method, url.pathname);
    const request: Request = { method, params: segments.map(decodePathSegment), query: url.searchParams, body: () => parseBody(rawBody) };
    sendJson(res, 200, route.handle(ctx.model, request));
  } catch (e: unknown) {
    sendError(res, e instanceof SchedulerServiceError ? e : internalServerError(e instanceof Error ? e.message : String(e)));
  }
}

function decodePathSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw validation(`The path segment ${segment} is not valid percent-encoding.`);
  }
}

function param(req: Request): string {
  return req.params[0] ?? '';
}

function parseBody(body: string): unknown {
  if (body.trim() === '') return {};
  try {
    return JSON.parse(body);
  } catch {
    throw validation('The request body is not valid JSON.');
  }
}

function sendError(res: ServerResponse, error: SchedulerServiceError): void {
  sendJson(res, error.status, { __type: error.code, Message: error.message }, { 'x-amzn-errortype': error.code });
}



