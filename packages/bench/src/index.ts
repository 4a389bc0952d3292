export { type ChildResult, run, runNode } from './child.js';
export {
  type CorpusEncoding,
  type CorpusOptions,
  type CorpusPage,
  changeNames,
  changeNumbers,
  corpusOfSize,
  createRandom,
  encodePage,
  generateCorpus,
  type LineEnding,
  type PageParts,
  partsOf,
  splitBlocks,
  writeCorpus,
} from './corpus.js';
export { describeMachine, type Machine } from './machine.js';
export { parseWrk, type WrkResult } from './peers.js';
export { type CpuProfile, type ProfileEntry, topSelfTime } from './profile.js';
export { formatMarkdown, formatTable, type ResultRow, type Target } from './report.js';
export { rate, type Summary, summarize, timeRuns } from './stats.js';
