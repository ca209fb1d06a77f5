import { z } from 'zod';
import { productionDeps, type Deps } from '../shared/deps.js';
import { middify } from '../shared/middleware.js';
import { checkRpo } from './check-rpo.js';

// Invoked by its own schedule; the event carries nothing the check needs.
export const createHandler = (deps: () => Deps) => middify(z.unknown(), () => checkRpo(deps()), { publishesMetrics: true });

export const handler = createHandler(productionDeps);
