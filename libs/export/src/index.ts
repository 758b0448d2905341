export { csvLine } from './csv';
export type { ExportLayout } from './export-renderer';
export { renderExport } from './export-renderer';
export { OUTPUT_LIMITS, validateOutputs } from './outputs.validator';
