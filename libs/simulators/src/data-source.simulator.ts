import { seededRandom, sleep, stableHash } from '@app/common';
import type { SourceSpec, DataSourceReader, SourceRecord } from '@app/contracts';
import { ProviderError } from '@app/contracts';
import type { LatencyRange } from './simulation-noise.util';
import { assertLatencyRange, assertProbability, drawFailure, drawLatencyMs } from './simulation-noise.util';

export interface DataSourceSimulatorOptions {
  seed: number;
  recordsPerSource: number;
  latencyMs: LatencyRange;
  failureRate: number;
  /** Source of the noise (latency, failures); defaults to a PRNG seeded from `seed`. */
  random?: () => number;
}

const VOCABULARY = [
  'data',
  'record',
  'quality',
  'customer',
  'order',
  'payment',
  'delivery',
  'review',
  'product',
  'service',
  'report',
  'analysis',
  'signal',
  'metric',
  'trend',
  'region',
  'market',
  'price',
  'stock',
  'supplier',
  'invoice',
  'ticket',
  'support',
  'feedback',
  'feature',
  'release',
  'incident',
  'latency',
  'error',
  'user',
  'session',
  'account',
  'contract',
  'campaign',
  'growth',
  'revenue',
  'cost',
  'forecast',
  'summary',
  'detail',
  'complete',
  'missing',
  'accurate',
  'delayed',
  'relevant',
  'urgent',
  'stable',
  'new',
  'updated',
  'verified',
  'is',
  'was',
  'with',
  'for',
  '数据',
  '质量',
  '分析',
  '用户',
  '订单',
  '评估',
] as const;

/** Records per batch the simulator hands out. */
const BATCH_SIZE = 1000;

const CATEGORIES = ['news', 'review', 'report', 'forum', 'faq'] as const;

const YEAR_2025_START_MS = Date.UTC(2025, 0, 1);
const SECONDS_IN_2025 = 365 * 24 * 60 * 60;

/** Serves every source from generated records: the same seed and source id always give the same records. */
export class DataSourceSimulator implements DataSourceReader {
  private readonly random: () => number;

  constructor(private readonly options: DataSourceSimulatorOptions) {
    assertLatencyRange(options.latencyMs);
    assertProbability('failureRate', options.failureRate);
    this.random = options.random ?? seededRandom(options.seed);
  }

  async *read(source: SourceSpec, signal: AbortSignal): AsyncGenerator<SourceRecord[]> {
    const simulation = source.simulation ?? {};
    const latencyMs = simulation.latencyMs ?? drawLatencyMs(this.options.latencyMs, this.random);
    await sleep(latencyMs, signal);
    if (drawFailure(simulation.failureRate ?? this.options.failureRate, this.random)) {
      throw new ProviderError(`source ${source.id} unavailable (simulated)`, { status: 503, retryable: true });
    }
    const count = simulation.records ?? this.options.recordsPerSource;
    for (let start = 0; start < count; start += BATCH_SIZE) {
      const size = Math.min(BATCH_SIZE, count - start);
      yield Array.from({ length: size }, (_, offset) => this.record(source.id, start + offset));
    }
  }

  private record(sourceId: string, index: number): SourceRecord {
    const random = seededRandom(stableHash(this.options.seed, sourceId, index));
    const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)];
    const words = Array.from({ length: 8 + Math.floor(random() * 23) }, () => pick(VOCABULARY));
    const sentence = words.join(' ');
    return {
      id: `${sourceId}-${index + 1}`,
      content: `${sentence.charAt(0).toUpperCase()}${sentence.slice(1)}.`,
      fields: {
        source_id: sourceId,
        index,
        category: pick(CATEGORIES),
        value: Math.round(random() * 100_000) / 100,
        created_at: new Date(YEAR_2025_START_MS + Math.floor(random() * SECONDS_IN_2025) * 1000).toISOString(),
      },
    };
  }
}
