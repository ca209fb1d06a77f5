import { productionDeps, type Deps } from '../shared/deps.js';
import { middify } from '../shared/middleware.js';
import { loopInput } from '../shared/task-input.js';
import { checkBackups } from './check-backups.js';

export const createHandler = (deps: () => Deps) => middify(loopInput, (event) => checkBackups(event, deps()));

export const handler = createHandler(productionDeps);
