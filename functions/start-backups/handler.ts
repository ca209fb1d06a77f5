import { productionDeps, type Deps } from '../shared/deps.js';
import { middify } from '../shared/middleware.js';
import { loopInput } from '../shared/task-input.js';
import { startBackups } from './start-backups.js';

export const createHandler = (deps: () => Deps) =>
  middify(loopInput, (event, context) => startBackups(event, deps(), () => context.getRemainingTimeInMillis()));

export const handler = createHandler(productionDeps);
