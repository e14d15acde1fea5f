import { defineConfig } from 'vitest/config';

// Two layers: `unit` (pure code and in-memory fakes, seconds) and `integration` (real devhost processes,
// Azurite and the stand-ins, minutes). `npm test` runs both; `npm run test:unit` only the first.
export default defineConfig({
  test: {
    projects: [
      // Threads start faster than processes, and nothing in the unit layer needs a process of its own.
      // A test that sweeps years of schedules takes a second alone; room for a loaded machine, never a timing.
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'], pool: 'threads', testTimeout: 30_000 } },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          // Integration suites start real devhost processes and Azurite; give them room on a 2-core machine.
          testTimeout: 60_000,
          hookTimeout: 60_000,
          pool: 'forks',
        },
      },
    ],
  },
});
