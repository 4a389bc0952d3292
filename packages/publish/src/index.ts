export { type CacheKeyParts, cacheKey, UrlCache, type UrlState } from './cache.js';
export { type FaultStep, faultPoint, faultSteps, repairFaultSteps } from './fault.js';
export { sha256Hex, syncDirectory, type WrittenFile, writeChunks, writeFileAtomic } from './fsutil.js';
export { acquireLock, type LockInfo, type LockOptions, type ReleaseLock, readLock } from './lock.js';
export {
  type CollectOptions,
  type Engine,
  type Logger,
  type PublishOptions,
  type PublishResult,
  publish,
  type SourceSummary,
  validateSources,
} from './pipeline.js';
export { quarantineFiles } from './quarantine.js';
export {
  discoverSources,
  type LoadedSource,
  type PreviousFetch,
  type ReadOptions,
  readSidecar,
  readSource,
  type SourceRef,
} from './sources.js';
export {
  type CommitOptions,
  type CommitResult,
  cleanStaging,
  commitRelease,
  currentId,
  damagedFiles,
  hashFile,
  listReleases,
  type ManifestFile,
  type ManifestHead,
  openStaging,
  pruneReleases,
  type ReleaseSummary,
  readCurrent,
  readManifest,
  type Serialize,
  Staging,
  storePaths,
  switchCurrent,
  type Verification,
  verifyRelease,
} from './store.js';
