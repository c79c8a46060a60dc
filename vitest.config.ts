import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'connectors/**/*.test.ts', 'src/**/*.test.ts'],
    // Each integration file makes its own database, so files may run in parallel on both engines.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
