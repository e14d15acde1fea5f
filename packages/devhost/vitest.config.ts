import { defineConfig } from 'vitest/config';

// Two layers, as in the repo root: `unit` (pure code, the in-process orchestration driver: seconds) and
// `integration` (real devhost processes over Azurite, minutes). Paths in the tests are relative to this folder.
export default defineConfig({
  test: {
    // Two files at a time even on two cores (vitest would take one): a suite mostly waits on its devhost and
    // Azurite processes, so a second one halves the wall time (408 s → 197 s measured).
    maxWorkers: 2,
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'], pool: 'threads', testTimeout: 30_000 } },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/integration/setup/fixtureInstalls.ts'],
          // Each suite starts real devhost processes and Azurite; give them room on a 2-core machine.
          testTimeout: 60_000,
          hookTimeout: 60_000,
          pool: 'forks',
        },
      },
    ],
  },
});
