import { defineConfig } from 'vitest/config';

// Every package's vitest config starts from this. CI runs on two cores, where a property test or a
// test that spawns real processes can take several seconds: the timeouts leave room for that, never for
// a hang (each test that waits on something has its own deadline).
export default defineConfig({
  test: { testTimeout: 30_000, hookTimeout: 30_000 },
});
