export { type Credits, parseByline } from './byline.js';
export { type DecodedSource, decodeSource } from './decode.js';
export { type ParseOptions, parsePage } from './parse.js';
export { positionOf } from './position.js';
export type * from './types.js';
