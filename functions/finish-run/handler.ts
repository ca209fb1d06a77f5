import { z } from 'zod';
import { productionDeps, type Deps } from '../shared/deps.js';
import { middify } from '../shared/middleware.js';
import { executionInput } from '../shared/task-input.js';
import { finishRun } from './finish-run.js';

// scheduledTime is absent only when a manual run failed before Start run could set it.
const input = executionInput.extend({
  scheduledTime: executionInput.shape.scheduledTime.optional(),
  error: z.object({ Error: z.string().optional(), Cause: z.string().optional() }).optional(),
});

export const createHandler = (deps: () => Deps) => middify(input, (event) => finishRun(event, deps()), { publishesMetrics: true });

export const handler = createHandler(productionDeps);
