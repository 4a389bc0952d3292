import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { generateTypes } from './generate.js';

const target = fileURLToPath(new URL('./generated/types.ts', import.meta.url));
writeFileSync(target, await generateTypes());
console.log(`wrote ${target}`);
