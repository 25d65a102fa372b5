import { defineConfig } from 'vitest/config';

// `npm start` (test/e2e/start.e2e.test.ts) rebuilds out/, which the other browser tests serve: it runs
// alone, after every other file (a group of its own), so no page ever loads a half-written bundle.
const REBUILDS_APP = 'test/e2e/start.e2e.test.ts';

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: {
          name: 'main',
          include: ['test/**/*.test.ts'],
          exclude: ['**/node_modules/**', REBUILDS_APP],
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: { name: 'rebuilds-app', include: [REBUILDS_APP], sequence: { groupOrder: 1 } },
      },
    ],
  },
});
