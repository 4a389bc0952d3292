#!/usr/bin/env node
import { main } from './commands.js';

await main();
