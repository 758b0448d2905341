import { describeError } from '@app/common';
import type { TaskSpec } from '@app/contracts';
import { DEFAULT_TEMPERATURE, ProviderError } from '@app/contracts';
import type { LlmClient } from '@app/llm';
import type { ChunkRecord, RecordOutcome } from '@app/persistence';

/**
 * Scores one record on every dimension of its task. A dimension the provider cannot score (after the
 * client's retries) fails the record, not the chunk: the record is stored as failed with the reason.
 * The task's cancellation and the service's own failures propagate.
 */
export class RecordScorer {
  constructor(private readonly llm: Pick<LlmClient, 'scoreRecord'>) {}

  async score(record: ChunkRecord, spec: TaskSpec, signal: AbortSignal): Promise<RecordOutcome> {
    const identity = { sourceId: record.sourceId, recordId: record.recordId };
    const model = spec.llm.model;
    const temperature = spec.llm.temperature ?? DEFAULT_TEMPERATURE;
    const settled = await Promise.allSettled(
      spec.dimensions.map((dimension) =>
        this.llm.scoreRecord(
          {
            model,
            temperature,
            dimension,
            record: { id: record.recordId, content: record.content, fields: record.fields },
          },
          signal,
        ),
      ),
    );
    if (signal.aborted) throw signal.reason;
    // Only the provider's verdict on this record fails the record; anything else (the cache or the
    // limiter unreachable) is the service's own trouble and fails the job, which Bull retries.
    const infrastructure = settled.find(
      (outcome) => outcome.status === 'rejected' && !(outcome.reason instanceof ProviderError),
    );
    if (infrastructure) throw (infrastructure as PromiseRejectedResult).reason;
    const failures = settled.flatMap((outcome, index) =>
      outcome.status === 'rejected' ? [`${spec.dimensions[index].id}: ${describeError(outcome.reason)}`] : [],
    );
    if (failures.length > 0) return { ...identity, error: failures.join('; ') };
    const scores = Object.fromEntries(
      settled.map((outcome, index) => [
        spec.dimensions[index].id,
        (outcome as PromiseFulfilledResult<{ score: number }>).value.score,
      ]),
    );
    return { ...identity, scores };
  }
}
