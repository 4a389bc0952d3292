import { defineConfig } from 'vitest/config';

// End-to-end tests start real processes and servers: give them time and run files one at a time
// so that two suites never compete for the machine's two cores.
export default defineConfig({
  test: { testTimeout: 60_000, hookTimeout: 60_000, fileParallelism: false },
});
