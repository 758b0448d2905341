import type { ChatResponse, LlmUsage } from '@app/contracts';
import { NO_USAGE } from '@app/contracts';

/** Adds up what a piece of work cost, whatever became of it (a failed record's calls cost too). */
export class UsageMeter {
  private total: LlmUsage = { ...NO_USAGE };

  call(usage: ChatResponse['usage']): void {
    this.total = {
      ...this.total,
      promptTokens: this.total.promptTokens + usage.promptTokens,
      completionTokens: this.total.completionTokens + usage.completionTokens,
      calls: this.total.calls + 1,
    };
  }

  cacheHit(): void {
    this.total = { ...this.total, cacheHits: this.total.cacheHits + 1 };
  }

  get usage(): LlmUsage {
    return { ...this.total };
  }
}

/** One UsageMeter per key (a dimension id), for work that spans several dimensions. */
export class UsageMeters {
  private readonly meters = new Map<string, UsageMeter>();

  for(key: string): UsageMeter {
    let meter = this.meters.get(key);
    if (!meter) {
      meter = new UsageMeter();
      this.meters.set(key, meter);
    }
    return meter;
  }

  get usage(): Record<string, LlmUsage> {
    return Object.fromEntries([...this.meters].map(([key, meter]) => [key, meter.usage]));
  }
}
