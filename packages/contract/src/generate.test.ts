import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { generateTypes } from './generate.js';

// The committed types must be exactly what the schemas generate. On a mismatch the fresh output is
// written beside the file as types.ts.changed to diff; run `pnpm --filter @newsdata/contract generate`.
it('src/generated/types.ts is in step with schemas/', async () => {
  const path = fileURLToPath(new URL('./generated/types.ts', import.meta.url));
  const fresh = await generateTypes();
  const committed = readFileSync(path, 'utf8');
  if (fresh !== committed) writeFileSync(`${path}.changed`, fresh);
  expect(committed === fresh, 'types.ts is stale: see types.ts.changed, then run the generate script').toBe(
    true,
  );
}, 30_000);
