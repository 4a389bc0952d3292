export { type ExitCodeOptions, exitCodeForReport, type FormatOptions, formatReport } from './format.js';
export { type Partition, partitionRows, type RejectedRow } from './partition.js';
export { compareProblems, type Lang, locationOf, type Problem, type ProblemSource } from './problem.js';
export {
  assembleReport,
  describeSourceError,
  type SourceContext,
  type SourceError,
  sourceErrorFrom,
  type ValidateReleaseInput,
  type ValidateReleaseOptions,
  validateRelease,
} from './release.js';
export {
  createValidator,
  type ValidateSchemaOptions,
  type Validator,
  validateJsonText,
  validateSchema,
} from './validator.js';
