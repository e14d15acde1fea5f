import { defineConfig } from 'vitest/config';

// Three layers: `unit` (pure code and in-memory fakes, seconds), `integration` (real devhost processes,
// Azurite and the stand-ins, minutes) and `browser` (the console in Chromium over the same). `npm test` runs all three; `npm run test:unit` only the first. devhost's own
// suites are in packages/devhost (its vitest.config.ts); the root scripts run them after these.
export default defineConfig({
  // `@herald/devhost` resolves to its TypeScript sources (its `@herald/source` export condition), so the unit
  // layer needs no build; integration tests start the built host anyway (`npm run build`).
  resolve: { conditions: ['@herald/source'] },
  ssr: { resolve: { conditions: ['@herald/source'] } },
  test: {
    // Two files at a time even on two cores (vitest would take one): an integration file spends most of its time
    // waiting on its devhost and Azurite processes, so a second one nearly halves the wall time (840 s → 515 s).
    maxWorkers: 2,
    projects: [
      // Threads start faster than processes, and nothing in the unit layer needs a process of its own.
      // A test that sweeps years of schedules takes a second alone; room for a loaded machine, never a timing.
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'], pool: 'threads', testTimeout: 30_000, hookTimeout: 30_000 } },
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
      {
        test: {
          name: 'browser',
          include: ['test/browser/**/*.test.ts'],
          // The console in Debian's Chromium, driven by playwright-core, over Herald on devhost: a whole
          // writer-to-approver-to-delivery journey takes minutes on a loaded 2-core machine.
          testTimeout: 600_000,
          hookTimeout: 120_000,
          pool: 'forks',
        },
      },
    ],
  },
});
