import type { AppName } from '../../../test/e2e/support/test-system';
import { startLlmSimulator, TestSystem } from '../../../test/e2e/support/test-system';
import type { WatchedProcess } from './monitor';
import { ResourceMonitor } from './monitor';
import type { BenchDatabase, BenchRedis } from './services';

export interface BenchServices {
  redis: BenchRedis;
  database: BenchDatabase;
}

/** Log lines the bench keeps per app: enough for a failure's context, bounded for long runs. */
const RETAINED_LOG_LINES = 2_000;

/**
 * What every scenario's apps share: the bench's Redis and database, the production defaults of the
 * job locks (the e2e support shortens them), no admission cap in the way, and no random failures, so
 * every run does the same work and the counts can be checked.
 */
function baseEnv({ redis, database }: BenchServices): Record<string, string> {
  const { settings } = database;
  return {
    REDIS_HOST: '127.0.0.1',
    REDIS_PORT: String(redis.port),
    REDIS_PASSWORD: '',
    REDIS_DB: '0',
    DATABASE_HOST: settings.host,
    DATABASE_PORT: String(settings.port),
    DATABASE_USER: settings.user,
    DATABASE_PASSWORD: settings.password,
    DATABASE_NAME: settings.database,
    QUEUE_LOCK_DURATION_MS: '30000',
    QUEUE_STALLED_INTERVAL_MS: '15000',
    LOG_FORMAT: 'json',
    MAX_ACTIVE_TASKS: '10000000',
    MAX_RECORDS_PER_TASK: '10000000',
    MAX_SCORES_PER_TASK: '100000000',
    SIM_SOURCE_FAILURE_RATE: '0',
    SIM_LLM_FAILURE_RATE: '0',
    SIM_LLM_RPM: '1000000',
    LLM_RATE_LIMIT_RPM: '1000000',
    // Tokens too: the default budget (2,000,000 a minute) would cap the small tasks' calls near 100/s.
    LLM_RATE_LIMIT_TPM: '1000000000',
    SIM_LLM_TPM: '1000000000',
  };
}

export type LlmSimulator = Awaited<ReturnType<typeof startLlmSimulator>>;

/** The apps as separate processes (the e2e support starts them from dist/), measured from /proc. */
export class BenchSystem {
  private constructor(
    readonly services: BenchServices,
    readonly system: TestSystem,
    private readonly extra: WatchedProcess[],
  ) {}

  static async start(
    services: BenchServices,
    options: { replicas?: Partial<Record<AppName, number>>; env?: Record<string, string> } = {},
  ): Promise<BenchSystem> {
    const system = await TestSystem.start({
      replicas: options.replicas,
      env: { ...baseEnv(services), ...options.env },
      retainLines: RETAINED_LOG_LINES,
    });
    return new BenchSystem(services, system, []);
  }

  /** The HTTP LLM simulator (apps/llm-simulator) as a process, measured with the apps. */
  static async llmSimulator(env: Record<string, string>): Promise<LlmSimulator> {
    return startLlmSimulator({ ...env, LOG_FORMAT: 'json' });
  }

  get baseUrl(): string {
    return this.system.baseUrl;
  }

  /** Measures another process of the scenario (the LLM simulator, a reference server) with the apps. */
  watch(app: string, pid: number | undefined): void {
    this.extra.push({ app, pid });
  }

  processes(): WatchedProcess[] {
    return [...this.system.apps.map((app) => ({ app: app.name, pid: app.pid })), ...this.extra];
  }

  monitor(): Promise<ResourceMonitor> {
    return ResourceMonitor.start(() => this.processes(), this.services.redis, this.services.database);
  }

  /** Provider call attempts by outcome (`ok`, `429`, …, `cached`), summed over every app that calls the LLM. */
  async llmCalls(): Promise<Record<string, number>> {
    const totals: Record<string, number> = {};
    const callers = [...this.system.replicas('evaluator'), ...this.system.replicas('result-generator')];
    for (const app of callers) {
      const text = await (await fetch(`${app.healthUrl()}/metrics`)).text();
      for (const match of text.matchAll(/^dataproc_llm_calls_total\{[^}]*outcome="([^"]+)"[^}]*\} (\S+)$/gm))
        totals[match[1]] = (totals[match[1]] ?? 0) + Number(match[2]);
    }
    return totals;
  }

  async stop(): Promise<void> {
    await this.system.stop();
  }
}

/** Provider calls (attempts that reached the provider), leaving out answers from the cache. */
export function providerCalls(calls: Record<string, number>): number {
  return Object.entries(calls)
    .filter(([outcome]) => outcome !== 'cached')
    .reduce((sum, [, count]) => sum + count, 0);
}
