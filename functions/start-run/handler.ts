import { z } from 'zod';
import { productionDeps, type Deps } from '../shared/deps.js';
import { middify } from '../shared/middleware.js';
import { currentMinute, executionInput, slotTime } from '../shared/task-input.js';
import { startRun } from './start-run.js';

// The state machine passes the execution's input as it came, with the execution's id beside it.
const input = z
  .object({
    execution: executionInput.extend({ scheduledTime: slotTime.optional() }),
    executionId: z.string().min(1),
    executionStartTime: z.string().min(1),
  })
  .transform(({ execution, executionId, executionStartTime }, ctx) => {
    if (execution.scheduledTime) return { ...execution, scheduledTime: execution.scheduledTime, executionId };
    if (execution.trigger !== 'manual') {
      ctx.addIssue({ code: 'custom', path: ['execution', 'scheduledTime'], message: 'required unless trigger is "manual"' });
      return z.NEVER;
    }
    // "Run now": the slot is the minute the execution started.
    return { ...execution, scheduledTime: currentMinute(executionStartTime), executionId };
  });

export const createHandler = (deps: () => Deps) => middify(input, (event) => startRun(event, deps()));

export const handler = createHandler(productionDeps);
