export {
  type CatalogData,
  escapeHtml,
  gatherCatalog,
  renderCatalog,
  renderFeed,
  summarizeChanges,
} from './catalog.js';
export { main, program } from './commands.js';
export {
  acceptsGzip,
  contentDisposition,
  contentTypeOf,
  downloadName,
  noneMatch,
  safeSegments,
} from './download.js';
export { type EnvironmentSettings, environmentVariables, readEnvironment } from './env.js';
export { createLogger } from './logger.js';
export { missedTicks, type RunReason, Scheduler, type SchedulerOptions } from './scheduler.js';
export { createServer, type Health, type ListenOptions, type ServerOptions, serve } from './server.js';
export { defaults, type Flags, readConfigFile, resolveSettings, type Settings } from './settings.js';
export { emptyState, readState, type SchedulerState, statePath, writeState } from './state.js';
export { ReleaseStore, type ReleaseStoreOptions, type ServableFile } from './store.js';
