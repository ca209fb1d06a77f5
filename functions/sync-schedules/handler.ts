import { z } from 'zod';
import { productionSchedulingDeps, type SchedulingDeps } from '../shared/deps.js';
import { middify } from '../shared/middleware.js';
import { syncSchedules, type StreamRecord } from './sync-schedules.js';

// A DynamoDB stream batch from the policies table (NEW_AND_OLD_IMAGES).
const streamEvent = z.object({
  Records: z.array(
    z.looseObject({
      eventName: z.enum(['INSERT', 'MODIFY', 'REMOVE']).optional(),
      dynamodb: z.looseObject({ Keys: z.record(z.string(), z.unknown()).optional(), SequenceNumber: z.string().optional() }).optional(),
    }),
  ),
});

export const createHandler = (deps: () => SchedulingDeps) =>
  middify(streamEvent, async (event) => {
    const { batchItemFailures } = await syncSchedules(event.Records as StreamRecord[], deps());
    return { batchItemFailures };
  });

export const handler = createHandler(productionSchedulingDeps);
