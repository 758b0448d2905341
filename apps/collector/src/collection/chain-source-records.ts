import type { SourceRecord } from '@app/contracts';
import { RecordEvaluationStatus } from '@app/contracts';
import type { CollectedRecord } from '@app/persistence';
import type { ProcessingChain } from '@app/processing';

/**
 * Puts one source's records through the task's processing chain, right after the fetch: what is
 * stored is what the chain made of them. Records the chain refused are kept as failed, with every
 * reason; filtered ones are only counted. Records left for the LLM are pending; in a task without
 * dimensions they are done (processed).
 */
export function chainSourceRecords(
  chain: ProcessingChain,
  sourceId: string,
  records: readonly SourceRecord[],
  options: { evaluate: boolean; now: Date },
): { records: CollectedRecord[]; dropped: number } {
  const kept = options.evaluate ? RecordEvaluationStatus.PENDING : RecordEvaluationStatus.PROCESSED;
  const collected: CollectedRecord[] = [];
  let dropped = 0;
  for (const record of records) {
    const outcome = chain.run({ id: record.id, sourceId, content: record.content, fields: record.fields }, options.now);
    switch (outcome.kind) {
      case 'dropped':
        dropped += 1;
        break;
      case 'kept':
        collected.push({ ...toSourceRecord(outcome.record), status: kept, error: null, dedupeKey: outcome.dedupeKey });
        break;
      case 'failed':
        collected.push({
          ...toSourceRecord(outcome.record),
          status: RecordEvaluationStatus.FAILED,
          error: outcome.reasons.join('; '),
          dedupeKey: outcome.dedupeKey,
        });
        break;
    }
  }
  return { records: collected, dropped };
}

function toSourceRecord(record: { id: string; content: string; fields: Record<string, unknown> }): SourceRecord {
  return { id: record.id, content: record.content, fields: record.fields };
}
