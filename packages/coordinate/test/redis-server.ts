export { startRedis, type TestRedis } from '../src/testing.js';

/** Poll `check` until it is true; fail after `timeoutMs` with `what`. */
export async function eventually(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Block this process's event loop for `ms`, as a long GC pause or a SIGSTOP would: no timer (and so
 * no lease renewal) runs meanwhile.
 */
export function freeze(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
