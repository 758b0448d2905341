import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './support/rendered-app';

/** Every config class of every app (found on disk, so a new app's settings are checked too). */
async function settingsOfEveryApp(): Promise<Map<string, string>> {
  const settings = new Map<string, string>();
  for (const app of readdirSync(join(ROOT, 'apps'))) {
    const dir = join(ROOT, 'apps', app, 'src');
    for (const file of readdirSync(dir).filter((name) => name.endsWith('.config.ts'))) {
      const exported = (await import(join(dir, file))) as Record<string, unknown>;
      for (const candidate of Object.values(exported)) {
        if (typeof candidate !== 'function' || !/Config$/.test(candidate.name)) continue;
        const defaults = new (candidate as new () => object)();
        for (const [name, value] of Object.entries(defaults))
          if (!settings.has(name)) settings.set(name, String(value));
      }
    }
  }
  return settings;
}

/** NAME=value lines, commented out or not. */
function listed(text: string): Map<string, string> {
  return new Map([...text.matchAll(/^#? ?([A-Z][A-Z0-9_]*)=(.*)$/gm)].map(([, name, value]) => [name, value]));
}

describe('.env.example', () => {
  const example = listed(readFileSync(join(ROOT, '.env.example'), 'utf8'));

  it('lists every setting of every app', async () => {
    const settings = await settingsOfEveryApp();
    expect(settings.size).toBeGreaterThan(40);
    expect([...settings.keys()].filter((name) => !example.has(name))).toEqual([]);
  });

  it('lists no setting that nothing reads (each is an app setting or one docker-compose.yml uses)', async () => {
    const settings = await settingsOfEveryApp();
    const compose = readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8');
    const stale = [...example.keys()].filter((name) => !settings.has(name) && !compose.includes(`\${${name}:-`));
    expect(stale).toEqual([]);
  });
});
