import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Integration tests start real shells, brokers and bash builds; two cores.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 300_000,
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'], globalSetup: ['test/helpers/temp-root.ts'] } },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/native/**/*.test.ts', 'test/integration/**/*.test.ts', 'test/conformance/**/*.test.ts', 'test/adversarial/**/*.test.ts', 'test/mediation/**/*.test.ts'],
          // The real patched bash and the real native build must exist.
          globalSetup: ['test/helpers/temp-root.ts', 'test/helpers/global-setup.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'agents',
          include: ['test/agents/**/*.test.ts'],
          // The published agent CLIs, installed once into ~/.cache/execgate/agents.
          globalSetup: ['test/helpers/temp-root.ts', 'test/helpers/global-setup.ts', 'test/helpers/agents-global-setup.ts'],
          testTimeout: 180_000,
          // After the other projects: the agent CLIs start heavy runtimes
          // (Bun, Node with a 12 GB heap limit) that would skew their timings.
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
