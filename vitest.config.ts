import { defineConfig } from 'vitest/config';

// Four tiers share one runner: `unit` (and the contract suites) need nothing but Node; `adversarial`
// attacks the engine the way a hostile client, log line or state-directory writer would (see
// docs/security.md); `e2e` runs the embedded engine end to end on the bundled recording;
// `integration` talks to the real backends that test/env brings up (see docs/testenv.md); attacks
// that need a real backend live in test/integration/adversarial/.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts', 'test/contract/**/*.test.ts'],
          sequence: { groupOrder: 0 },
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'adversarial',
          include: ['test/adversarial/**/*.test.ts'],
          sequence: { groupOrder: 1 },
          testTimeout: 120_000,
          // One file at a time (~40 s in all): some attacks measure how soon the engine answers or
          // how its memory moves, which a CPU-heavy attack on the other core would blur.
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          sequence: { groupOrder: 2 },
          testTimeout: 300_000,
          hookTimeout: 300_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          // After the CPU-heavy tiers: on two cores, a replay beside a control plane starves kwok.
          sequence: { groupOrder: 3 },
          globalSetup: ['test/env/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 600_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
