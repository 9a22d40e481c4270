import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // The emulator suites share one moto_server per file; files run in parallel on separate ports.
    fileParallelism: true,
  },
});
