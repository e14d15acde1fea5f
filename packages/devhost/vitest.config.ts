import { defineConfig } from 'vitest/config';

// Two layers, as in the repo root: `unit` (pure code, the in-process orchestration driver: seconds) and
// `integration` (real devhost processes over Azurite, minutes). Paths in the tests are relative to this folder.
export default defineConfig({
  test: {
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
