import { ConfigError, loadConfig } from '@app/config';
import { GatewayConfig, gatewayOptions } from './gateway.config';

describe(GatewayConfig.name, () => {
  it('loads with an empty environment, using its defaults', () => {
    const config = loadConfig(GatewayConfig, {});
    expect(config).toBeInstanceOf(GatewayConfig);
    expect(config).toMatchObject({ PORT: 3000, HOST: '0.0.0.0', BODY_LIMIT_BYTES: 1024 * 1024, DATABASE_PORT: 5432 });
  });

  it('coerces its own settings and refuses a body limit below 1 KiB', () => {
    expect(loadConfig(GatewayConfig, { PORT: '8080' }).PORT).toBe(8080);
    expect(() => loadConfig(GatewayConfig, { BODY_LIMIT_BYTES: '10' })).toThrow(ConfigError);
    expect(() => loadConfig(GatewayConfig, { BODY_LIMIT_BYTES: '10' })).toThrow(/BODY_LIMIT_BYTES/);
  });

  it('groups its HTTP listener beside the shared options', () => {
    const options = gatewayOptions(loadConfig(GatewayConfig, { PORT: '8080', BODY_LIMIT_BYTES: '2048' }));
    expect(options.http).toEqual({ port: 8080, host: '0.0.0.0', bodyLimitBytes: 2048 });
    expect(options.database.database).toBe('dataproc');
  });

  it('parses the API keys and access limits, naming a bad entry', () => {
    const options = gatewayOptions(
      loadConfig(GatewayConfig, { API_KEYS: 'a:key-of-a-1,b:key-of-b-2', ADMIN_API_KEYS: 'b', RATE_LIMIT_MAX: '5' }),
    );
    expect(options.access.keys.identify('key-of-b-2')).toEqual({ name: 'b', admin: true });
    expect(options.access).toMatchObject({ rateLimit: { max: 5, windowMs: 60_000 }, maxActiveTasksPerKey: 100 });
    expect(gatewayOptions(loadConfig(GatewayConfig, {})).access.keys.enabled).toBe(false);
    expect(() => gatewayOptions(loadConfig(GatewayConfig, { API_KEYS: 'nokey' }))).toThrow(/API_KEYS/);
  });
});
