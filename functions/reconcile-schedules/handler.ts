import { z } from 'zod';
import { productionSchedulingDeps, type SchedulingDeps } from '../shared/deps.js';
import { middify } from '../shared/middleware.js';
import { reconcileSchedules } from './reconcile-schedules.js';

// Invoked by its own schedule; the event carries nothing the reconcile needs.
export const createHandler = (deps: () => SchedulingDeps) =>
  middify(z.unknown(), () => reconcileSchedules(deps()), { publishesMetrics: true });

export const handler = createHandler(productionSchedulingDeps);
