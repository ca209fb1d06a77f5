import { productionDeps, type Deps } from '../shared/deps.js';
import { middify } from '../shared/middleware.js';
import { loopInput } from '../shared/task-input.js';
import { startBackups } from './start-backups.js';

export const createHandler = (deps: () => Deps) => middify(loopInput, (event) => startBackups(event, deps()));

export const handler = createHandler(productionDeps);
