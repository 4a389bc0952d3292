import { defineConfig } from 'vitest/config';

// The CLI tests spawn the built binary and run whole publishes: on a busy two-core machine one test
// can take several seconds.
export default defineConfig({
  test: { testTimeout: 30_000, hookTimeout: 30_000 },
});
