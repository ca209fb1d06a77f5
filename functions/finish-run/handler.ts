import { z } from 'zod';
import { productionDeps, type Deps } from '../shared/deps.js';
import { middify } from '../shared/middleware.js';
import { currentMinute, executionInput } from '../shared/task-input.js';
import { finishRun } from './finish-run.js';

// The state as it stands, with the execution's id and start beside it. scheduledTime is absent
// only when a manual run failed in Start run: its slot is then the minute the execution started.
const input = z
  .object({
    state: executionInput.extend({
      scheduledTime: executionInput.shape.scheduledTime.optional(),
      error: z.object({ Error: z.string().optional(), Cause: z.string().optional() }).optional(),
    }),
    executionId: z.string().min(1),
    executionStartTime: z.string().min(1),
  })
  .transform(({ state, executionId, executionStartTime }) => ({
    ...state,
    scheduledTime: state.scheduledTime ?? (state.trigger === 'manual' ? currentMinute(executionStartTime) : undefined),
    executionId,
  }));

export const createHandler = (deps: () => Deps) => middify(input, (event) => finishRun(event, deps()), { publishesMetrics: true });

export const handler = createHandler(productionDeps);
