import type { ChunkRecord, EvaluationStore } from '@app/persistence';

/**
 * A chunk's records as its evaluate job loads them: none once the chunk is stored, or while the task
 * is not running in the evaluate stage.
 */
export async function recordsToEvaluate(
  evaluations: EvaluationStore,
  taskId: string,
  chunk: number,
): Promise<ChunkRecord[]> {
  return (await evaluations.loadChunk(taskId, chunk))?.records ?? [];
}
