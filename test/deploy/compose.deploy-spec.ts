import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { parse } from 'yaml';
import { dockerfileStages, imageEnvironment } from './support/dockerfile';
import type { RenderedApp } from './support/rendered-app';
import { ensureTool, entryPointOf, isBuilt, ROOT, RunningApp } from './support/rendered-app';

interface ComposeService {
  image?: string;
  command?: string[];
  environment?: Record<string, string | number | null>;
  depends_on?: Record<string, { condition: string }>;
  deploy?: { replicas?: number };
  ports?: (string | { target: number; published: string | number })[];
  profiles?: string[];
  volumes?: (string | { type: string; source: string; target: string })[];
  healthcheck?: { test?: string[]; disable?: boolean };
}

const APPS = ['gateway', 'collector', 'evaluator', 'result-generator'] as const;
const WORKERS = ['collector', 'evaluator', 'result-generator'] as const;

/** `docker-compose config`: the file as compose itself reads it (interpolated, anchors merged). */
function composeConfig(...profiles: string[]): { services: Record<string, ComposeService> } {
  const args = [...profiles.flatMap((profile) => ['--profile', profile]), 'config'];
  // A clean environment: the defaults in the file, not this shell's settings.
  const out = execFileSync('docker-compose', args, { cwd: ROOT, env: { PATH: process.env.PATH }, encoding: 'utf8' });
  return parse(out);
}

function envOf(service: ComposeService): Record<string, string> {
  return Object.fromEntries(
    Object.entries(service.environment ?? {}).map(([key, value]) => [key, String(value ?? '')]),
  );
}

/** The image's HEALTHCHECK command, run beside the app with the app's ports: its exit code. */
function imageHealthcheck(app: RunningApp): number {
  const { PORT, HEALTH_PORT } = app.env;
  try {
    execFileSync(process.execPath, ['docker/healthcheck.js'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, PORT, HEALTH_PORT },
      stdio: 'ignore',
    });
    return 0;
  } catch (error) {
    return (error as { status: number }).status;
  }
}

describe('docker-compose.yml', () => {
  let services: Record<string, ComposeService>;
  const runtime = dockerfileStages().at(-1)!;

  beforeAll(() => {
    ensureTool('docker-compose', 'docker-compose');
    services = composeConfig('simulator', 'monitoring').services;
  }, 300_000);

  it('is valid for docker-compose, with and without the profiles', () => {
    expect(Object.keys(composeConfig().services).sort()).toEqual(
      expect.arrayContaining(['redis', 'postgres', 'migrate', ...APPS]),
    );
    expect(services['llm-simulator'].profiles).toEqual(['simulator']);
    expect(services.prometheus.profiles).toEqual(['monitoring']);
    expect(services.grafana.profiles).toEqual(['monitoring']);
    for (const name of ['redis', 'postgres', 'migrate', ...APPS]) expect(services[name].profiles).toBeUndefined();
  });

  it('runs Redis without eviction and with an append-only file on a volume, Postgres on a volume with a health check', () => {
    const redis = services.redis;
    expect(redis.command?.join(' ')).toMatch(/--maxmemory-policy noeviction/);
    expect(redis.command?.join(' ')).toMatch(/--appendonly yes/);
    expect(JSON.stringify(redis.volumes)).toContain('/data');
    expect(redis.healthcheck?.test).toBeDefined();
    expect(JSON.stringify(services.postgres.volumes)).toContain('/var/lib/postgresql/data');
    expect(services.postgres.healthcheck?.test?.join(' ')).toContain('pg_isready');
  });

  it('runs the four apps from the one image, each after Redis and Postgres are healthy and the migration is done', () => {
    const images = new Set(APPS.map((app) => services[app].image));
    expect(images.size).toBe(1);
    expect(services.migrate.image).toBe([...images][0]);
    for (const app of APPS) {
      expect(services[app].command).toEqual(['node', `dist/apps/${app}/src/main.js`]);
      expect(services[app].depends_on).toEqual({
        redis: { condition: 'service_healthy' },
        postgres: { condition: 'service_healthy' },
        migrate: { condition: 'service_completed_successfully' },
      });
    }
    expect(services.migrate.command).toEqual(['node', 'dist/libs/persistence/src/migrate.js']);
    expect(JSON.stringify(services.gateway.ports)).toMatch(/3000/);
    for (const worker of WORKERS) {
      expect(services[worker].deploy?.replicas).toBeGreaterThanOrEqual(1);
      // Published ports would stop `--scale`.
      expect(services[worker].ports).toBeUndefined();
    }
  });

  it('points the LLM apps at the HTTP simulator of the simulator profile', () => {
    expect(services['llm-simulator'].command).toEqual(['node', 'dist/apps/llm-simulator/src/main.js']);
    const port = envOf(services['llm-simulator']).PORT;
    for (const app of ['evaluator', 'result-generator']) {
      expect(envOf(services[app]).LLM_BASE_URL).toBe(`http://llm-simulator:${port}/v1`);
    }
  });

  it('has Prometheus scrape every app where it serves /metrics, and Grafana provisioned with the dashboard', () => {
    const mounts = (name: string): string[] =>
      (services[name].volumes ?? []).map((volume) =>
        typeof volume === 'string' ? volume : `${volume.source}:${volume.target}`,
      );
    for (const mount of [...mounts('prometheus'), ...mounts('grafana')]) {
      const source = mount.split(':')[0];
      if (source.startsWith('/')) expect(existsSync(source)).toBe(true);
    }
    const prometheus = parse(readFileSync(join(ROOT, 'monitoring/prometheus/prometheus.yml'), 'utf8'));
    const targets = new Map<string, number>();
    for (const job of prometheus.scrape_configs) {
      for (const sd of job.dns_sd_configs) for (const name of sd.names) targets.set(name, sd.port);
    }
    const image = imageEnvironment(runtime);
    expect(targets.get('gateway')).toBe(Number(envOf(services.gateway).PORT ?? image.PORT));
    for (const worker of WORKERS) {
      expect(targets.get(worker)).toBe(Number(envOf(services[worker]).HEALTH_PORT ?? image.HEALTH_PORT));
    }
    const provider = parse(readFileSync(join(ROOT, 'monitoring/grafana/provisioning/dashboards/dataproc.yml'), 'utf8'))
      .providers[0];
    expect(mounts('grafana').some((mount) => mount.endsWith(`:${provider.options.path}:ro`))).toBe(true);
    const dashboard = JSON.parse(readFileSync(join(ROOT, 'monitoring/grafana/dashboards/dataproc.json'), 'utf8'));
    expect(dashboard.panels.length).toBeGreaterThan(0);
  });

  describe('each app, run with exactly the command and environment compose gives it', () => {
    const runtimeEnv = imageEnvironment(runtime);
    const rendered = (name: string): RenderedApp => ({
      name,
      command: services[name].command!,
      // The image's ENV first, then the service's, as the container sees them.
      env: { ...runtimeEnv, ...envOf(services[name]) },
      probePortVariable: name === 'gateway' ? 'PORT' : 'HEALTH_PORT',
    });

    it('migrates the database and exits 0', async () => {
      const migrate = await RunningApp.start({ ...rendered('migrate'), probePortVariable: undefined });
      expect(await migrate.exited).toEqual({ code: 0, signal: null });
      expect(migrate.output.join('\n')).toMatch(/migrations: .* is up to date/);
    }, 60_000);

    it.each([...APPS])(
      '%s becomes ready, and stops cleanly on SIGTERM',
      async (name) => {
        const app = await RunningApp.start(rendered(name));
        try {
          const ready = await app.waitUntilReady(60_000);
          expect(ready.status).toBe('ok');
          expect(imageHealthcheck(app)).toBe(0);
        } finally {
          expect(await app.stop()).toEqual({ code: null, signal: 'SIGTERM' });
        }
        expect(imageHealthcheck(app)).toBe(1);
      },
      90_000,
    );

    it('has every app compose names in the build, or says which is not on this branch yet', () => {
      const missing = Object.keys(services).filter(
        (name) => entryPointOf(services[name].command ?? []) !== undefined && !isBuilt(rendered(name)),
      );
      // apps/llm-simulator arrives with issue 8; compose already runs it under the simulator profile.
      expect(missing.filter((name) => name !== 'llm-simulator')).toEqual([]);
      if (missing.length > 0)
        process.stdout.write(`compose names apps not built on this branch: ${missing.join(', ')}\n`);
    });
  });

  it('builds a multi-stage image that runs as a non-root user under tini, with a health check', () => {
    const stages = dockerfileStages();
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const instructions = (keyword: string): string[] =>
      runtime.instructions.filter((instruction) => instruction.keyword === keyword).map(({ args }) => args);
    expect(instructions('USER')).toEqual(['node']);
    expect(instructions('ENTRYPOINT')).toEqual(['["/usr/bin/tini", "--"]']);
    expect(instructions('HEALTHCHECK')[0]).toMatch(/CMD \["node", "docker\/healthcheck\.js"\]$/);
    expect(imageEnvironment(runtime)).toMatchObject({ NODE_ENV: 'production', APP: 'gateway' });
    // The runtime stage takes the build's output and production dependencies only.
    const copies = instructions('COPY').join('\n');
    expect(copies).toMatch(/--from=build \/app\/dist dist/);
    expect(copies).toMatch(/--from=deps \/app\/node_modules node_modules/);
    const deps = stages.find((stage) => stage.name === 'deps')!;
    expect(deps.instructions.some(({ args }) => /npm ci .*--omit=dev/.test(args))).toBe(true);
  });

  it('needs no dev dependency at run time: everything the build requires is a production dependency', () => {
    const { dependencies } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    const required = new Set<string>();
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (entry.name.endsWith('.js')) {
          for (const [, name] of readFileSync(path, 'utf8').matchAll(/require\("([^".][^"]*)"\)/g)) {
            if (!name.startsWith('node:') && !builtinModules.includes(name.split('/')[0])) {
              required.add(name.startsWith('@') ? name.split('/').slice(0, 2).join('/') : name.split('/')[0]);
            }
          }
        }
      }
    };
    walk(join(ROOT, 'dist'));
    expect(required.size).toBeGreaterThan(5);
    expect([...required].filter((name) => !(name in dependencies)).sort()).toEqual([]);
  });

  it('ships what the image copies, and keeps the rest out of the build context', () => {
    const ignore = readFileSync(join(ROOT, '.dockerignore'), 'utf8');
    for (const { keyword, args } of dockerfileStages().flatMap((stage) => stage.instructions)) {
      if (keyword !== 'COPY' || args.startsWith('--from')) continue;
      for (const source of args.split(/\s+/).slice(0, -1)) {
        expect(existsSync(join(ROOT, source))).toBe(true);
        expect(ignore).toContain(`!${source.split('/')[0]}`);
      }
    }
    expect(ignore.split('\n')[ignore.split('\n').findIndex((line) => !line.startsWith('#'))]).toBe('*');
  });
});
