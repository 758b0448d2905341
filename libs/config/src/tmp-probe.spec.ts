import { BaseConfig } from './base.config';
import { loadConfig } from './load-config';
it('p', () => {
  try { loadConfig(BaseConfig, { DATABASE_PORT: 'abc', QUEUE_PREFIX: 'has spaces', LOG_LEVEL: 'loud', REDIS_DB: '1.5' }); } catch (e) { console.log((e as Error).message, (e as any).problems); }
  console.log(loadConfig(BaseConfig, { DATABASE_PORT: '0x10', REDIS_PORT: ' 7000 ', DATABASE_PASSWORD: '' }));
});
