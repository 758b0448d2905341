import { loadConfig } from '@app/config';
import { EvaluatorConfig } from './evaluator.config';

describe(EvaluatorConfig.name, () => {
  it('loads with an empty environment, using its defaults', () => {
    const config = loadConfig(EvaluatorConfig, {});
    expect(config).toBeInstanceOf(EvaluatorConfig);
    expect(config).toMatchObject({
      EVALUATE_RECORD_CONCURRENCY: 8,
      LLM_PROVIDER: 'simulator',
      LLM_MAX_CONCURRENCY: 16,
      WORKER_CONCURRENCY: 4,
    });
  });

  it('coerces its settings and refuses a record concurrency of 0', () => {
    expect(loadConfig(EvaluatorConfig, { EVALUATE_RECORD_CONCURRENCY: '32' }).EVALUATE_RECORD_CONCURRENCY).toBe(32);
    expect(() => loadConfig(EvaluatorConfig, { EVALUATE_RECORD_CONCURRENCY: '0' })).toThrow(
      /EVALUATE_RECORD_CONCURRENCY/,
    );
  });

  it('listens for probes and metrics on its own default port, 3002, beside the other apps', () => {
    expect(loadConfig(EvaluatorConfig, {}).HEALTH_PORT).toBe(3002);
    expect(loadConfig(EvaluatorConfig, { HEALTH_PORT: '9464' }).HEALTH_PORT).toBe(9464);
  });
});
