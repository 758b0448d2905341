import type { SourceRecord } from '@app/contracts';
import type { CollectedRecord, CollectionStore, SourceSettlement } from '@app/persistence';

/** Every record a source reader delivers, the batches joined. */
export async function readAll(batches: AsyncIterable<SourceRecord[]>): Promise<SourceRecord[]> {
  const records: SourceRecord[] = [];
  for await (const batch of batches) records.push(...batch);
  return records;
}

/**
 * Stores a source's records in batches of 1000 (the collector's default DATA_SOURCE_BATCH_SIZE) and
 * settles it, as the collector does; true when it settled. `dropped` counts records its chain filtered out.
 */
export async function storeSource(
  collection: CollectionStore,
  settlement: SourceSettlement,
  records: readonly CollectedRecord[],
  dropped = 0,
): Promise<boolean> {
  for (let start = 0; start < records.length; start += 1000)
    await collection.saveBatch(settlement.taskId, settlement.sourceId, start, records.slice(start, start + 1000));
  return (await collection.saveCollected(settlement, { offered: records.length, dropped })) !== undefined;
}
