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
 * Self time per function of a CPU profile, largest first. Samples are weighted by the time to the next
 * sample; functions with the same name and position are added up. `root` is cut from file URLs.
 */
export function topSelfTime(
  profile: CpuProfile,
  options: { top?: number; root?: string } = {},
): ProfileEntry[] {
  const byNode = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) {
    const weight = deltas[i + 1] ?? 0;
    byNode.set(samples[i]!, (byNode.get(samples[i]!) ?? 0) + weight);
  }
  const totals = new Map<string, number>();
  for (const node of profile.nodes) {
    const micros = byNode.get(node.id) ?? 0;
    if (micros === 0) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    let where = url.replace(/^file:\/\//, '');
    if (options.root && where.startsWith(options.root))
      where = where.slice(options.root.length).replace(/^\//, '');
    const name = where
      ? `${functionName || '(anonymous)'} (${where}:${lineNumber + 1})`
      : functionName || '(anonymous)';
    totals.set(name, (totals.get(name) ?? 0) + micros);
  }
  const whole = Math.max(1, profile.endTime - profile.startTime);
  return [...totals.entries()]
    .map(([name, micros]) => ({ name, selfMs: micros / 1000, percent: (micros / whole) * 100 }))
    .sort((a, b) => b.selfMs - a.selfMs)
    .slice(0, options.top ?? 20);
}

/**
 * Self time added up by where the code lives: `parse`, `extract`, … for the workspace's packages, the
 * npm package name for dependencies, `node built-ins` for Node's own modules and native functions, and V8's `(garbage collector)`,
 * `(idle)` (waiting for I/O) and `(program)` as they are.
 */
export function selfTimeByPackage(profile: CpuProfile): ProfileEntry[] {
  const byNode = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) {
    byNode.set(samples[i]!, (byNode.get(samples[i]!) ?? 0) + (deltas[i + 1] ?? 0));
  }
  const totals = new Map<string, number>();
  for (const node of profile.nodes) {
    const micros = byNode.get(node.id) ?? 0;
    if (micros === 0) continue;
    const { url, functionName } = node.callFrame;
    const where =
      /\/(?:packages|apps)\/([\w-]+)\/(?:dist|src)\//.exec(url)?.[1] ??
      /node_modules\/\.pnpm\/(@?[^@/]+(?:\/[^@/]+)?)@/.exec(url)?.[1] ??
      /node_modules\/(@[^/]+\/[^/]+|[^/]+)\//.exec(url)?.[1] ??
      (url.startsWith('node:') || url === ''
        ? functionName.startsWith('(')
          ? functionName
          : 'node built-ins (hashing, file I/O, Buffer)'
        : url);
    totals.set(where, (totals.get(where) ?? 0) + micros);
  }
  const whole = Math.max(1, profile.endTime - profile.startTime);
  return [...totals.entries()]
    .map(([name, micros]) => ({ name, selfMs: micros / 1000, percent: (micros / whole) * 100 }))
    .sort((a, b) => b.selfMs - a.selfMs);
}
