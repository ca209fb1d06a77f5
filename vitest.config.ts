import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['local/env.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Integration files each start DynamoDB Local (a JVM); two at a time fits two cores.
    maxWorkers: 2,
  },
});
