/**
 * Steps of a publish at which a test can kill the process (`NEWSDATA_FAULT=<step>`), to show that a
 * crash at any of them leaves the previous release current and complete.
 */
export const faultSteps = [
  'after-lock',
  'after-staging-create',
  'mid-staging-write',
  'after-staging-write',
  'after-manifest',
  'after-rename',
  'before-switch',
  'after-temp-link',
  'after-switch',
  'after-index-write',
  'mid-prune',
  'after-prune',
] as const;

/**
 * Steps reached only when a release folder of the same id exists but does not verify (a damaged
 * current release being replaced): not in {@link faultSteps}, which every publish passes.
 */
export const repairFaultSteps = ['after-broken-removed'] as const;

export type FaultStep = (typeof faultSteps)[number] | (typeof repairFaultSteps)[number];

/**
 * Test-only fault hook: when the environment variable `NEWSDATA_FAULT` names this step, the process
 * kills itself with SIGKILL (no cleanup, no exit handlers: the harshest crash there is).
 */
export function faultPoint(step: FaultStep): void {
  if (process.env.NEWSDATA_FAULT === step) process.kill(process.pid, 'SIGKILL');
}
