export { type CsvFlavour, cellOf, guardFormula, LIST_SEPARATOR, unguardFormula } from './cells.js';
export {
  changesJsonChunks,
  diffReleases,
  digestsFromNdjson,
  type NdjsonSource,
  type RowDigests,
  rowDigests,
} from './changes.js';
export { CSV_DIALECT, CSV_OPTIONS, csvChunks, UTF8_BOM } from './csv.js';
export {
  buildDataPackage,
  type License,
  type ReleaseOptions,
  type ReleaseSource,
  resourceNameOf,
  type TableSchema,
  type TableSchemaField,
  tableSchemaOf,
  type WrittenFile,
} from './datapackage.js';
export { formatJson, type SerializeOptions, serializeJson } from './json.js';
export {
  type ChunkOptions,
  type FileFormat,
  MEDIA_TYPES,
  ndjsonChunks,
  planRelease,
  type ReleaseFile,
} from './plan.js';
export { releaseIdFor } from './release-id.js';
export { rowJsonWriter, sortTables } from './rows.js';
