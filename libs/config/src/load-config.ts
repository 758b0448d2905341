import { plainToInstance } from 'class-transformer';
import type { ValidationError } from 'class-validator';
import { validateSync } from 'class-validator';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

type ConfigClass<T> = new () => T;

/**
 * Reads the environment into a typed, validated config object once, at start-up. Property names are
 * the environment variable names; defaults are the class's initialisers. A missing or malformed
 * setting throws a ConfigError naming every offending variable, so the app fails before it starts.
 */
export function loadConfig<T extends object>(schema: ConfigClass<T>, env: NodeJS.ProcessEnv = process.env): T {
  const defaults = new schema() as Record<string, unknown>;
  const raw: Record<string, unknown> = { ...defaults };
  for (const name of Object.keys(defaults)) {
    const value = env[name];
    if (value !== undefined && value !== '') raw[name] = value;
  }
  const config = plainToInstance(schema, raw, { enableImplicitConversion: false });
  for (const [name, value] of Object.entries(raw)) {
    (config as Record<string, unknown>)[name] = coerce(value, defaults[name]);
  }
  const errors = validateSync(config, { forbidUnknownValues: true });
  if (errors.length > 0) throw new ConfigError(errors.map((error) => describe(error, raw[error.property])));
  return config;
}

/** Environment values are strings; convert them to the type of the property's default. */
function coerce(value: unknown, fallback: unknown): unknown {
  if (typeof value !== 'string') return value;
  if (typeof fallback === 'number') return value.trim() === '' ? Number.NaN : Number(value);
  if (typeof fallback === 'boolean') {
    if (/^(true|1|yes)$/i.test(value)) return true;
    if (/^(false|0|no)$/i.test(value)) return false;
    return value;
  }
  return value;
}

/** Names the variable with the value as it was given (not as coerced: "abc", not NaN). */
function describe(error: ValidationError, given: unknown): string {
  const reasons = Object.values(error.constraints ?? {});
  return `${error.property}=${JSON.stringify(given)}: ${reasons.join('; ')}`;
}
