// Key layout of the runs table. A run item lives in its policy's partition (newest-first query
// per policy); the run's targets live in a partition of their own.
export const runKey = (policyId: string, scheduledTime: string) => ({
  pk: `POLICY#${policyId}`,
  sk: `RUN#${scheduledTime}`,
});

export const targetsPartition = (policyId: string, scheduledTime: string) => `RUN#${policyId}#${scheduledTime}`;

export const targetKey = (policyId: string, scheduledTime: string, targetId: string) => ({
  pk: targetsPartition(policyId, scheduledTime),
  sk: `TARGET#${targetId}`,
});
