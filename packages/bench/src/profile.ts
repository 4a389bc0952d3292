/** The parts of a V8 `.cpuprofile` (written by `node --cpu-prof`) that self time needs. */
export interface CpuProfile {
  nodes: {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
    hitCount?: number;
  }[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface ProfileEntry {
  /** `name (file:line)`, `(garbage collector)`, `(program)`, … */
  name: string;
  selfMs: number;
  /** Share of the profile's whole time, 0–100. */
  percent: number;
}

/**
 * Self time per function of one CPU profile or of several (one per thread, as `--cpu-prof` writes them),
 * largest first. Samples are weighted by the time to the next sample; functions with the same name and
 * position are added up. `root` is cut from file URLs.
 */
export function topSelfTime(
  profiles: CpuProfile | readonly CpuProfile[],
  options: { top?: number; root?: string } = {},
): ProfileEntry[] {
  return selfTimeBy(profiles, ({ functionName, url, lineNumber }) => {
    let where = url.replace(/^file:\/\//, '');
    if (options.root && where.startsWith(options.root)) where = where.slice(options.root.length);
    return where
      ? `${functionName || '(anonymous)'} (${where}:${lineNumber + 1})`
      : functionName || '(anonymous)';
  }).slice(0, options.top ?? 20);
}

/**
 * Self time added up by where the code lives: `parse`, `extract`, … for the workspace's packages, the
 * npm package name for dependencies, `node built-ins` for Node's own modules and native functions, and
 * V8's `(garbage collector)`, `(idle)` (waiting for I/O or work) and `(program)` as they are.
 */
export function selfTimeByPackage(profiles: CpuProfile | readonly CpuProfile[]): ProfileEntry[] {
  return selfTimeBy(profiles, ({ url, functionName }) => packageOf(url, functionName));
}

/** Self time of every profile added up under the name `nameOf` gives each call frame. */
function selfTimeBy(
  profiles: CpuProfile | readonly CpuProfile[],
  nameOf: (frame: CpuProfile['nodes'][number]['callFrame']) => string,
): ProfileEntry[] {
  const list: readonly CpuProfile[] = Array.isArray(profiles) ? profiles : [profiles as CpuProfile];
  const totals = new Map<string, number>();
  for (const profile of list) {
    const byNode = selfByNode(profile);
    for (const node of profile.nodes) {
      const micros = byNode.get(node.id) ?? 0;
      if (micros === 0) continue;
      const name = nameOf(node.callFrame);
      totals.set(name, (totals.get(name) ?? 0) + micros);
    }
  }
  return entriesOf(totals, list);
}

function packageOf(url: string, functionName: string): string {
  const workspace = /\/(?:packages|apps)\/([\w-]+)\/(?:dist|src)\//.exec(url)?.[1];
  if (workspace) return workspace;
  const dependency =
    /node_modules\/\.pnpm\/(@?[^@/]+(?:\/[^@/]+)?)@/.exec(url)?.[1] ??
    /node_modules\/(@[^/]+\/[^/]+|[^/]+)\//.exec(url)?.[1];
  if (dependency) return dependency;
  if (url.startsWith('node:') || url === '') {
    return functionName.startsWith('(') ? functionName : 'node built-ins (hashing, file I/O, Buffer)';
  }
  return url;
}

function selfByNode(profile: CpuProfile): Map<number, number> {
  const byNode = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) {
    byNode.set(samples[i]!, (byNode.get(samples[i]!) ?? 0) + (deltas[i + 1] ?? 0));
  }
  return byNode;
}

/** Entries largest first; percent of the summed duration of the profiles (threads run side by side). */
function entriesOf(totals: Map<string, number>, profiles: readonly CpuProfile[]): ProfileEntry[] {
  const whole = Math.max(
    1,
    profiles.reduce((sum, profile) => sum + (profile.endTime - profile.startTime), 0),
  );
  return [...totals.entries()]
    .map(([name, micros]) => ({ name, selfMs: micros / 1000, percent: (micros / whole) * 100 }))
    .sort((a, b) => b.selfMs - a.selfMs);
}
