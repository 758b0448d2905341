import Module from 'module';
import { join } from 'path';

/**
 * Jest applies `moduleNameMapper` to test files only: a `globalSetup` module is loaded by Node's own
 * `require` (ts-jest still transpiles it), so `@app/<lib>` — used inside the libs as well — does not
 * resolve there. This maps it the way jest.config.js and tsconfig.json do, for the duration of a
 * global hook. Returns the function that removes the mapping again.
 */
const ALIAS = /^@app\/([a-z-]+)(|\/.*)$/;
const LIBS = join(__dirname, '..', '..', 'libs');

type Resolve = (request: string, ...rest: unknown[]) => string;

export function registerAppAliases(): () => void {
  const loader = Module as unknown as { _resolveFilename: Resolve };
  const original = loader._resolveFilename;
  loader._resolveFilename = function resolveAppAlias(this: unknown, request: string, ...rest: unknown[]): string {
    const match = ALIAS.exec(request);
    return original.call(this, match ? join(LIBS, match[1], 'src') + match[2] : request, ...rest);
  };
  return () => {
    loader._resolveFilename = original;
  };
}
