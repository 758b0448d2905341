import { IsBoolean, IsIn, IsInt, IsNumber, Min } from 'class-validator';
import { BaseConfig, LlmWorkerConfig, WorkerConfig } from './base.config';
import { ConfigError, loadConfig } from './load-config';

class FlagsConfig {
  @IsBoolean() FEATURE_ON = false;
  @IsBoolean() FEATURE_OFF = true;
  @IsNumber() RATIO = 0.5;
  @IsInt() @Min(1) COUNT = 3;
  @IsIn(['a', 'b']) MODE = 'a';
}

function problemsOf(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe(loadConfig.name, () => {
  it('uses the defaults of the class when the environment sets nothing', () => {
    const config = loadConfig(BaseConfig, {});

    expect(config).toBeInstanceOf(BaseConfig);
    expect(config).toEqual(new BaseConfig());
    expect(config.DATABASE_PORT).toBe(5432);
    expect(config.QUEUE_PREFIX).toBe('dataproc');
  });

  it('reads values from the given env object, not from process.env', () => {
    const previous = process.env.DATABASE_HOST;
    process.env.DATABASE_HOST = 'from-process-env';
    try {
      expect(loadConfig(BaseConfig, { DATABASE_HOST: 'db.internal' }).DATABASE_HOST).toBe('db.internal');
      expect(loadConfig(BaseConfig, {}).DATABASE_HOST).toBe('127.0.0.1');
    } finally {
      if (previous === undefined) delete process.env.DATABASE_HOST;
      else process.env.DATABASE_HOST = previous;
    }
  });

  it('coerces numeric variables to numbers', () => {
    const config = loadConfig(BaseConfig, { DATABASE_PORT: '6543', REDIS_DB: '3', QUEUE_JOB_BACKOFF_MS: '250' });

    expect(config.DATABASE_PORT).toBe(6543);
    expect(config.REDIS_DB).toBe(3);
    expect(config.QUEUE_JOB_BACKOFF_MS).toBe(250);
  });

  it('coerces fractional numbers where the property allows them', () => {
    expect(loadConfig(FlagsConfig, { RATIO: '0.25' }).RATIO).toBe(0.25);
  });

  it.each([
    ['true', true],
    ['TRUE', true],
    ['1', true],
    ['yes', true],
    ['false', false],
    ['0', false],
    ['No', false],
  ])('coerces the boolean spelling %p to %p', (raw, expected) => {
    expect(loadConfig(FlagsConfig, { FEATURE_ON: raw, FEATURE_OFF: raw })).toMatchObject({
      FEATURE_ON: expected,
      FEATURE_OFF: expected,
    });
  });

  it('rejects a boolean variable that is neither true nor false', () => {
    const error = problemsOf(() => loadConfig(FlagsConfig, { FEATURE_ON: 'maybe' }));
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toMatch(/^FEATURE_ON=/);
  });

  it('treats an empty variable as unset and keeps the default', () => {
    expect(loadConfig(BaseConfig, { DATABASE_PORT: '', LOG_LEVEL: '' })).toMatchObject({
      DATABASE_PORT: 5432,
      LOG_LEVEL: 'log',
    });
  });

  it('ignores variables that are not properties of the config class', () => {
    const config = loadConfig(BaseConfig, { PATH: '/usr/bin', SOMETHING_ELSE: 'x' }) as unknown as Record<
      string,
      unknown
    >;
    expect(config).not.toHaveProperty('PATH');
    expect(config).not.toHaveProperty('SOMETHING_ELSE');
  });

  it('throws a ConfigError naming every invalid variable at once', () => {
    const error = problemsOf(() =>
      loadConfig(BaseConfig, {
        DATABASE_PORT: 'abc',
        QUEUE_PREFIX: 'has spaces',
        LOG_LEVEL: 'loud',
        DATABASE_HOST: 'ok-host',
      }),
    );

    expect(error.name).toBe('ConfigError');
    expect(error.problems).toHaveLength(3);
    for (const name of ['DATABASE_PORT', 'QUEUE_PREFIX', 'LOG_LEVEL']) {
      expect(error.message).toContain(name);
      expect(error.problems.some((problem) => problem.startsWith(`${name}=`))).toBe(true);
    }
    expect(error.message).not.toContain('DATABASE_HOST');
    expect(error.message).toMatch(/^Invalid configuration:/);
    expect(error.message).toContain('"loud"');
    expect(error.message).toContain('"has spaces"');
  });

  it('shows the value as given, not as coerced (DATABASE_PORT="abc", not NaN/null)', () => {
    const error = problemsOf(() => loadConfig(BaseConfig, { DATABASE_PORT: 'abc' }));
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toMatch(/^DATABASE_PORT="abc": /);
  });

  it('rejects numbers out of range and non-integers for integer variables', () => {
    const error = problemsOf(() =>
      loadConfig(BaseConfig, { DATABASE_PORT: '70000', REDIS_DB: '1.5', DATABASE_POOL_SIZE: '0' }),
    );
    expect(error.problems.map((problem) => problem.split('=')[0]).sort()).toEqual([
      'DATABASE_POOL_SIZE',
      'DATABASE_PORT',
      'REDIS_DB',
    ]);
  });

  it('rejects a value outside an enumeration', () => {
    const error = problemsOf(() => loadConfig(FlagsConfig, { MODE: 'c', COUNT: '0' }));
    expect(error.problems.map((problem) => problem.split('=')[0]).sort()).toEqual(['COUNT', 'MODE']);
  });

  it('loads the inherited properties of the worker config classes', () => {
    const worker = loadConfig(WorkerConfig, { WORKER_CONCURRENCY: '12', DATABASE_PORT: '5433' });
    expect(worker).toMatchObject({ WORKER_CONCURRENCY: 12, DATABASE_PORT: 5433 });

    const llm = loadConfig(LlmWorkerConfig, { SIM_LLM_FAILURE_RATE: '0.25' });
    expect(llm.SIM_LLM_FAILURE_RATE).toBe(0.25);
    expect(llm.WORKER_CONCURRENCY).toBe(4);
  });

  it('takes a health port from 0 (any free port) to 65535', () => {
    expect(loadConfig(WorkerConfig, { HEALTH_PORT: '0' }).HEALTH_PORT).toBe(0);
    expect(loadConfig(WorkerConfig, { HEALTH_PORT: '9464' }).HEALTH_PORT).toBe(9464);
    const error = problemsOf(() => loadConfig(WorkerConfig, { HEALTH_PORT: '65536', HEALTH_HOST: '' }));
    expect(error.problems.map((problem) => problem.split('=')[0])).toEqual(['HEALTH_PORT']);
  });

  it('takes host names, addresses and CIDRs as OUTBOUND_ALLOWED_HOSTS, and names a prefix that cannot be', () => {
    const hosts = 'api.internal, 127.0.0.2, 10.0.0.0/8, [fd00::]/8, fd00::1/128';
    expect(loadConfig(BaseConfig, { OUTBOUND_ALLOWED_HOSTS: hosts }).OUTBOUND_ALLOWED_HOSTS).toBe(hosts);
    for (const [value, problem] of [
      ['10.0.0.0/40', /"10\.0\.0\.0\/40": an IPv4 prefix length is 0–32/],
      ['127.0.0.1, fd00::/129', /"fd00::\/129": an IPv6 prefix length is 0–128/],
      ['api.internal/24', /"api\.internal\/24": a prefix length belongs to an IP address/],
      ['http://api.internal', /must be comma-separated host names, addresses or CIDRs/],
    ] as const) {
      const error = problemsOf(() => loadConfig(BaseConfig, { OUTBOUND_ALLOWED_HOSTS: value }));
      expect(error.problems).toEqual([expect.stringMatching(/^OUTBOUND_ALLOWED_HOSTS=/)]);
      expect(error.problems[0]).toMatch(problem);
    }
  });
});
