export type { ApiSourceLimits } from './api-source.reader';
export { ApiSourceReader } from './api-source.reader';
export type { DatabaseSourceLimits } from './database-source.reader';
export { DatabaseSourceReader } from './database-source.reader';
export { InlineSourceReader } from './inline-source.reader';
export type { LiveSourceSpec, SourceLimits } from './live-source';
export { MAX_RECORD_ID_LENGTH, RecordBatcher } from './record-mapper';
export { selectQueryProblem } from './select-query';
