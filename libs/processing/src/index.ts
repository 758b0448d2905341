export type { ChainRecord } from './field-access';
export { AggregateAccumulator } from './aggregate-accumulator';
export type { ChainOutcome } from './processing-chain';
export { ProcessingChain } from './processing-chain';
export type { ProcessingPreset } from './presets';
export { llmEnrichments, PRESETS, resolveSteps } from './presets';
export { PROCESSING_LIMITS, validateProcessing } from './processing-spec.validator';
