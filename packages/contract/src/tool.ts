import { readFileSync } from 'node:fs';

const own = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

/**
 * Name and version of the toolkit, written into every manifest. The version is also part of the
 * per-source cache key: a new version re-parses every source.
 */
export const TOOL = { name: 'newsdata', version: own.version } as const;
