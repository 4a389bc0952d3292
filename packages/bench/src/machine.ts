import { cpus, loadavg, totalmem } from 'node:os';

export interface Machine {
  cores: number;
  cpu: string;
  memoryGiB: number;
  node: string;
  platform: string;
  date: string;
  /** 1, 5 and 15 minute load averages when described. */
  load: number[];
}

/** What the figures were measured on. */
export function describeMachine(now = new Date()): Machine {
  const list = cpus();
  return {
    cores: list.length,
    cpu: list[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    date: now.toISOString().slice(0, 10),
    load: loadavg().map((value) => Math.round(value * 100) / 100),
  };
}
