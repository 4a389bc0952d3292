export type * from './generated/types.js';
export {
  type JsonSchema,
  loadSchemas,
  type SchemaName,
  schemaDirectory,
  schemaFilesOnDisk,
  schemaNames,
  schemaOf,
} from './schemas.js';
export {
  columnsOf,
  compareByKey,
  emptyTables,
  keyOf,
  type TableDefinition,
  type TableName,
  type TableRows,
  type Tables,
  tableNames,
  tables,
} from './tables.js';
export { TOOL } from './tool.js';
