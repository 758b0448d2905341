import Queue from 'bull';
import { randomBytes, randomUUID } from 'node:crypto';
import { appOptions, BaseConfig, loadConfig } from '@app/config';
import { QueueName } from '@app/contracts';
import { redisConnection } from '@app/redis';
import { deleteKeys, openTestRedis } from '../support/redis';
import { dockerfileStages, imageEnvironment } from './support/dockerfile';
import type { KubeObject } from './support/kubernetes';
import { ensureKubectl, render, schemaErrors, unknownFieldErrors } from './support/kubernetes';
import type { RenderedApp } from './support/rendered-app';
import { isBuilt, RunningApp } from './support/rendered-app';

const WORKER_QUEUES: Record<string, QueueName> = {
  collector: QueueName.COLLECT,
  evaluator: QueueName.EVALUATE,
  'result-generator': QueueName.GENERATE,
};
const APPS = ['gateway', ...Object.keys(WORKER_QUEUES)];
const runtimeEnv = imageEnvironment(dockerfileStages().at(-1)!);

const find = (objects: KubeObject[], kind: string, name?: string): KubeObject[] =>
  objects.filter((object) => object.kind === kind && (name === undefined || object.metadata.name === name));
const one = (objects: KubeObject[], kind: string, name: string): KubeObject => {
  const found = find(objects, kind, name);
  if (found.length !== 1) throw new Error(`expected one ${kind} ${name}, found ${found.length}`);
  return found[0];
};
const podSpec = (workload: KubeObject): any => workload.spec.template.spec;
const containerOf = (workload: KubeObject): any => podSpec(workload).containers[0];
const isOurs = (workload: KubeObject): boolean => /(^|\/)dataproc(:|$)/.test(containerOf(workload).image);

/**
 * A container's environment as the kubelet builds it: the image's ENV, then envFrom (ConfigMaps and
 * Secrets of the render), then env. References to objects that are not rendered (prod's Secret is
 * made outside git) are listed in `external`.
 */
function containerEnvironment(
  objects: KubeObject[],
  container: any,
): { env: Record<string, string>; external: string[] } {
  const env: Record<string, string> = { ...runtimeEnv };
  const external: string[] = [];
  const dataOf = (kind: 'ConfigMap' | 'Secret', name: string): Record<string, string> | undefined => {
    const object = find(objects, kind, name)[0];
    if (object === undefined) return undefined;
    if (kind === 'ConfigMap') return object.data ?? {};
    const decoded = Object.entries(object.data ?? {}).map(([key, value]) => [
      key,
      Buffer.from(String(value), 'base64').toString(),
    ]);
    return { ...Object.fromEntries(decoded), ...object.stringData };
  };
  for (const source of container.envFrom ?? []) {
    const [kind, ref] = source.configMapRef
      ? (['ConfigMap', source.configMapRef] as const)
      : (['Secret', source.secretRef] as const);
    const data = dataOf(kind, ref.name);
    if (data === undefined) external.push(`${kind}/${ref.name}`);
    else Object.assign(env, data);
  }
  for (const variable of container.env ?? []) {
    if (variable.value !== undefined) env[variable.name] = String(variable.value);
    const ref = variable.valueFrom?.configMapKeyRef ?? variable.valueFrom?.secretKeyRef;
    if (ref === undefined) continue;
    const data = dataOf(variable.valueFrom.configMapKeyRef ? 'ConfigMap' : 'Secret', ref.name);
    if (data?.[ref.key] === undefined) external.push(`${ref.name}.${ref.key}`);
    else env[variable.name] = data[ref.key];
  }
  return { env, external };
}

/** The variable whose port a container's readiness probe targets (the app must listen there). */
function probeTarget(objects: KubeObject[], workload: KubeObject): { variable?: string; kind: 'http' | 'tcp' } {
  const container = containerOf(workload);
  const probe = container.readinessProbe;
  const port = probe?.httpGet?.port ?? probe?.tcpSocket?.port;
  const number = (container.ports ?? []).find((candidate: any) => candidate.name === port)?.containerPort ?? port;
  const { env } = containerEnvironment(objects, container);
  const variable = ['PORT', 'HEALTH_PORT'].find((name) => env[name] === String(number));
  return { variable, kind: probe?.httpGet ? 'http' : 'tcp' };
}

describe.each(['dev', 'prod'])('k8s/overlays/%s', (overlay) => {
  let objects: KubeObject[];

  beforeAll(() => {
    objects = render(ensureKubectl(), `k8s/overlays/${overlay}`);
  }, 300_000);

  it('renders, and every object validates against the Kubernetes API schema and the KEDA CRD schema', async () => {
    expect(objects.length).toBeGreaterThan(15);
    const errors = (await Promise.all(objects.map(schemaErrors))).flat();
    expect(errors).toEqual([]);
    expect(unknownFieldErrors(objects)).toEqual([]);
    expect(find(objects, 'ScaledObject').every((object) => object.apiVersion === 'keda.sh/v1alpha1')).toBe(true);
    expect(new Set(objects.filter((o) => o.kind !== 'Namespace').map((o) => o.metadata.namespace))).toEqual(
      new Set(['dataproc']),
    );
  }, 120_000);

  it('runs each app as its own Deployment, probed on the port the app listens on, with requests and limits', () => {
    for (const app of APPS) {
      const deployment = one(objects, 'Deployment', app);
      const container = containerOf(deployment);
      expect(container.command).toEqual(['node', `dist/apps/${app}/src/main.js`]);
      expect(containerOf(deployment).livenessProbe.httpGet.path).toBe('/health/live');
      expect(containerOf(deployment).readinessProbe.httpGet.path).toBe('/health/ready');
      expect(probeTarget(objects, deployment).variable).toBe(app === 'gateway' ? 'PORT' : 'HEALTH_PORT');
      expect(container.resources.requests).toEqual(expect.objectContaining({ cpu: expect.anything() }));
      expect(container.resources.limits).toEqual(expect.objectContaining({ memory: expect.anything() }));
      expect(podSpec(deployment).securityContext.runAsNonRoot).toBe(true);
      // A Service and a PodDisruptionBudget that select this Deployment's pods.
      const labels = deployment.spec.template.metadata.labels;
      const selects = (selector: Record<string, string>): boolean =>
        Object.entries(selector).every(([key, value]) => labels[key] === value);
      expect(selects(one(objects, 'Service', app).spec.selector)).toBe(true);
      expect(selects(one(objects, 'PodDisruptionBudget', app).spec.selector.matchLabels)).toBe(true);
    }
  });

  it('lets a worker finish the longest job after SIGTERM before it is killed', () => {
    for (const worker of Object.keys(WORKER_QUEUES)) {
      // Longer than a job's worst case (see each manifest's comment), far above Kubernetes' 30 s.
      expect(podSpec(one(objects, 'Deployment', worker)).terminationGracePeriodSeconds).toBeGreaterThanOrEqual(120);
    }
  });

  it('scales the gateway on CPU, and each worker on the length of its own Bull wait list', () => {
    const hpa = one(objects, 'HorizontalPodAutoscaler', 'gateway');
    expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'gateway' });
    expect(hpa.spec.metrics[0].resource.name).toBe('cpu');
    expect(hpa.spec.minReplicas).toBeLessThanOrEqual(hpa.spec.maxReplicas);

    for (const [worker, queue] of Object.entries(WORKER_QUEUES)) {
      const scaled = one(objects, 'ScaledObject', worker);
      expect(scaled.spec.scaleTargetRef.name).toBe(worker);
      expect(scaled.spec.minReplicaCount).toBeGreaterThanOrEqual(1);
      expect(scaled.spec.maxReplicaCount).toBeGreaterThanOrEqual(scaled.spec.minReplicaCount);
      const [trigger] = scaled.spec.triggers;
      expect(trigger.type).toBe('redis');
      const { env, external } = containerEnvironment(objects, containerOf(one(objects, 'Deployment', worker)));
      // The list Bull keeps the queue's waiting jobs in, under the prefix this worker really uses.
      expect(env.QUEUE_PREFIX).toBeDefined();
      expect(trigger.metadata.listName).toBe(`${env.QUEUE_PREFIX}:${queue}:wait`);
      // KEDA reads the connection from the worker's own environment: every name must be there.
      for (const key of ['hostFromEnv', 'portFromEnv', 'passwordFromEnv']) {
        const name = trigger.metadata[key];
        expect(name in env || external.length > 0).toBe(true);
      }
    }
  });

  it("watches the Redis list where Bull really keeps a queue's waiting jobs", async () => {
    const redis = openTestRedis();
    const prefix = `deploy-${randomBytes(4).toString('hex')}`;
    try {
      for (const [worker, queue] of Object.entries(WORKER_QUEUES)) {
        const { env } = containerEnvironment(objects, containerOf(one(objects, 'Deployment', worker)));
        const listName: string = one(objects, 'ScaledObject', worker).spec.triggers[0].metadata.listName;
        // The same list under this run's own prefix, so nothing of another run is counted.
        const list = `${prefix}${listName.slice(env.QUEUE_PREFIX.length)}`;
        const bull = new Queue(queue, { prefix, redis: redisConnection(appOptions(loadConfig(BaseConfig)).redis) });
        try {
          await bull.add({ taskId: randomUUID() });
          await bull.add({ taskId: randomUUID() });
          expect(await redis.llen(list)).toBe(2);
        } finally {
          await bull.close();
        }
      }
    } finally {
      await deleteKeys(redis, `${prefix}:`);
      redis.disconnect();
    }
  });

  it('denies ingress by default, lets the API and Prometheus in, and exposes only /api and /docs', () => {
    const policies = find(objects, 'NetworkPolicy');
    const denyAll = policies.find((policy) => Object.keys(policy.spec.podSelector).length === 0);
    expect(denyAll?.spec.ingress).toBeUndefined();
    expect(denyAll?.spec.policyTypes).toEqual(['Ingress']);
    expect(
      policies.some((policy) => policy.spec.podSelector.matchLabels?.['app.kubernetes.io/name'] === 'gateway'),
    ).toBe(true);
    const ingress = one(objects, 'Ingress', 'gateway');
    const paths = ingress.spec.rules.flatMap((rule: any) => rule.http.paths);
    expect(paths.map((path: any) => path.path).sort()).toEqual(['/api', '/docs']);
    for (const path of paths) expect(path.backend.service.name).toBe('gateway');
  });

  it('migrates with a Job that runs the migration command once', () => {
    const job = one(objects, 'Job', 'migrate');
    expect(containerOf(job).command).toEqual(['node', 'dist/libs/persistence/src/migrate.js']);
    expect(podSpec(job).restartPolicy).toBe('OnFailure');
  });

  if (overlay === 'dev') {
    it('runs Redis (no eviction, AOF) and Postgres as StatefulSets, and the HTTP LLM simulator for the LLM apps', () => {
      const redis = containerOf(one(objects, 'StatefulSet', 'redis'));
      expect(redis.args.join(' ')).toMatch(/--appendonly yes.*--maxmemory-policy noeviction/);
      one(objects, 'StatefulSet', 'postgres');
      const simulator = one(objects, 'Deployment', 'llm-simulator');
      expect(containerOf(simulator).command).toEqual(['node', 'dist/apps/llm-simulator/src/main.js']);
      const port = one(objects, 'Service', 'llm-simulator').spec.ports[0].port;
      const simulatorKey = containerEnvironment(objects, containerOf(simulator)).env.SIM_LLM_API_KEY;
      expect(simulatorKey).toBeTruthy();
      for (const app of ['evaluator', 'result-generator']) {
        const { env } = containerEnvironment(objects, containerOf(one(objects, 'Deployment', app)));
        expect(env).toMatchObject({ LLM_PROVIDER: 'openai', LLM_BASE_URL: `http://llm-simulator:${port}/v1` });
        expect(env).toMatchObject({ REDIS_HOST: 'redis', DATABASE_HOST: 'postgres', LLM_API_KEY: simulatorKey });
      }
    });
  } else {
    it('takes Redis and Postgres from a Secret made outside git, with more replicas than dev', () => {
      expect(find(objects, 'Secret')).toEqual([]);
      expect(find(objects, 'StatefulSet')).toEqual([]);
      for (const app of APPS) {
        const { env, external } = containerEnvironment(objects, containerOf(one(objects, 'Deployment', app)));
        expect(external).toEqual(['Secret/dataproc-secrets']);
        expect(env.DATABASE_HOST).toBeUndefined();
        expect(env.REDIS_HOST).toBeUndefined();
      }
      expect(one(objects, 'HorizontalPodAutoscaler', 'gateway').spec.minReplicas).toBeGreaterThanOrEqual(3);
      expect(one(objects, 'ScaledObject', 'evaluator').spec.maxReplicaCount).toBeGreaterThan(10);
    });
  }

  describe('each app, run with exactly the command and environment its manifest gives it', () => {
    const rendered = (workload: KubeObject, rewrites: Record<string, string> = {}): RenderedApp => {
      const target = probeTarget(objects, workload);
      return {
        name: `${overlay}/${workload.metadata.name}`,
        command: containerOf(workload).command,
        env: containerEnvironment(objects, containerOf(workload)).env,
        probePortVariable: target.variable,
        probeKind: target.kind,
        rewrites,
      };
    };

    it('runs the migration Job to completion', async () => {
      const job = await RunningApp.start(rendered(one(objects, 'Job', 'migrate')));
      expect(await job.exited).toEqual({ code: 0, signal: null });
    }, 60_000);

    it('starts every Deployment of our image until its readiness probe passes, and stops it with SIGTERM', async () => {
      const workloads = find(objects, 'Deployment').filter(isOurs);
      const running: RunningApp[] = [];
      const rewrites: Record<string, string> = {};
      const started = new Set<string>();
      const skipped: string[] = [];
      const callers = (workload: KubeObject): boolean =>
        workloads.some((other) =>
          JSON.stringify(containerOf(other).env ?? []).includes(`//${workload.metadata.name}:`),
        );
      try {
        // Apps that others call first (the LLM simulator), so their address can be given to the rest.
        for (const workload of [...workloads.filter(callers), ...workloads.filter((other) => !callers(other))]) {
          const app = rendered(workload, rewrites);
          const calls = find(objects, 'Service')
            .map((service) => service.metadata.name)
            .filter((service) => Object.values(app.env).some((value) => value.includes(`//${service}:`)));
          if (!isBuilt(app) || calls.some((service) => !started.has(service))) {
            skipped.push(workload.metadata.name);
            continue;
          }
          const process = await RunningApp.start(app);
          running.push(process);
          await process.waitUntilReady(60_000);
          for (const service of find(objects, 'Service', workload.metadata.name)) {
            rewrites[`${service.metadata.name}:${service.spec.ports[0].port}`] = `127.0.0.1:${process.probePort}`;
            started.add(service.metadata.name);
          }
        }
      } finally {
        for (const process of running.reverse()) {
          expect(await process.stop()).toEqual({ code: null, signal: 'SIGTERM' });
        }
      }
      // apps/llm-simulator arrives with issue 8: until it is built here, it and the apps that call it
      // (the dev overlay's evaluator and result-generator) are left out, and said so.
      const simulatorBuilt = isBuilt({
        name: 'llm-simulator',
        command: ['node', 'dist/apps/llm-simulator/src/main.js'],
        env: {},
      });
      const expectedSkipped =
        overlay === 'dev' && !simulatorBuilt ? ['evaluator', 'llm-simulator', 'result-generator'] : [];
      expect(skipped.sort()).toEqual(expectedSkipped);
      expect(running.length + skipped.length).toBe(workloads.length);
      if (skipped.length > 0)
        process.stdout.write(`${overlay}: not run until apps/llm-simulator is built: ${skipped.join(', ')}\n`);
    }, 300_000);
  });
});
