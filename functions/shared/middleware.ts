// Wraps a task's logic as a middy handler: parses the state-machine input with zod, adds the
// Powertools logger context, flushes metrics and traces the invocation.
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import type { Context } from 'aws-lambda';
import type { z } from 'zod';
import { InvalidTaskInputError } from './errors.js';
import { logger, metrics, tracer } from './powertools.js';

export function middify<Schema extends z.ZodType, TResult>(
  inputSchema: Schema,
  logic: (input: z.output<Schema>, context: Context) => Promise<TResult>,
  options: { publishesMetrics?: boolean } = {},
) {
  const base = middy<unknown, TResult, Error, Context>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(captureLambdaHandler(tracer, { captureResponse: false }));
  // Only tasks that publish metrics flush them: an empty flush is a warning in every log.
  const wrapped = options.publishesMetrics ? base.use(logMetrics(metrics)) : base;
  return wrapped.handler(async (event, context) => {
      const parsed = inputSchema.safeParse(event);
      if (!parsed.success) {
        const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(input)'}: ${i.message}`).join('; ');
        throw new InvalidTaskInputError(`unexpected task input: ${problems}`);
      }
      const input = (parsed.data ?? {}) as z.output<Schema> & { policyId?: string; scheduledTime?: string };
      logger.appendKeys({ policyId: input.policyId, scheduledTime: input.scheduledTime });
      if (options.publishesMetrics && input.policyId) metrics.addDimension('policyId', input.policyId);
      return logic(parsed.data, context);
    });
}
