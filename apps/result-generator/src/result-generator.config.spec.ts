import { loadConfig } from '@app/config';
import { ResultGeneratorConfig } from './result-generator.config';

describe(ResultGeneratorConfig.name, () => {
  it('loads with an empty environment, using its defaults', () => {
    const config = loadConfig(ResultGeneratorConfig, {});
    expect(config).toBeInstanceOf(ResultGeneratorConfig);
    expect(config).toMatchObject({
      GENERATE_DIMENSION_CONCURRENCY: 8,
      RESULT_MAX_PASSED_RECORDS: 10_000,
      LLM_PROVIDER: 'simulator',
    });
  });

  it('accepts 0 passed records listed but refuses a dimension concurrency above 64', () => {
    expect(loadConfig(ResultGeneratorConfig, { RESULT_MAX_PASSED_RECORDS: '0' }).RESULT_MAX_PASSED_RECORDS).toBe(0);
    expect(() => loadConfig(ResultGeneratorConfig, { GENERATE_DIMENSION_CONCURRENCY: '65' })).toThrow(
      /GENERATE_DIMENSION_CONCURRENCY/,
    );
  });

  it('listens for probes and metrics on its own default port, 3003, beside the other apps', () => {
    expect(loadConfig(ResultGeneratorConfig, {}).HEALTH_PORT).toBe(3003);
    expect(loadConfig(ResultGeneratorConfig, { HEALTH_PORT: '9464' }).HEALTH_PORT).toBe(9464);
  });
});
