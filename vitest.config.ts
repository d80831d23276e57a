import { defineConfig } from 'vitest/config';

/**
 * Three projects: `unit` (pure code, next to it), `cdk` (assertion tests and cdk-nag on the
 * synthesized app) and `localstack` (the integration suite; AWS APIs only).
 */
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: [
            'functions/**/*.test.ts',
            'shared/**/*.test.ts',
            'events/**/*.test.ts',
            'local/**/*.test.ts',
            'cli/**/*.test.ts',
            'endurance/**/*.test.ts',
          ],
        },
      },
      {
        test: {
          name: 'cdk',
          include: ['infra/cdk/test/**/*.test.ts'],
          testTimeout: 180_000,
          hookTimeout: 180_000,
        },
      },
      {
        test: {
          name: 'localstack',
          include: ['test/localstack/**/*.test.ts'],
          globalSetup: ['test/localstack/global-setup.ts'],
          testTimeout: 180_000,
          hookTimeout: 240_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
