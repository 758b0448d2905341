/** The same exit path for every app: the reason on stderr (a ConfigError names the variables), code 1. */
export function exitOnStartupError(error: unknown): never {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
