import { z } from 'zod';
import { productionDeps, type Deps } from '../shared/deps.js';
import { middify } from '../shared/middleware.js';
import { executionInput } from '../shared/task-input.js';
import { startRun } from './start-run.js';

// The state machine passes the execution's input as it came, with the execution's id beside it.
const input = z
  .object({ execution: executionInput, executionId: z.string().min(1) })
  .transform(({ execution, executionId }) => ({ ...execution, executionId }));

export const createHandler = (deps: () => Deps) => middify(input, (event) => startRun(event, deps()));

export const handler = createHandler(productionDeps);
