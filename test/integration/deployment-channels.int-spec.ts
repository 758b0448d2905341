import { lastValueFrom } from 'rxjs';
import { appOptions, BaseConfig, loadConfig } from '@app/config';
import { EventPattern } from '@app/contracts';
import { DeploymentRedisClient, DeploymentRedisServer, redisTransport } from '@app/pipeline';

/**
 * Two deployments (prefixes) on one real Redis, each with the listener and publisher its apps use:
 * a broadcast reaches its own deployment's listeners and never the other's.
 */
describe('broadcast channels per deployment (Redis)', () => {
  const transport = redisTransport(appOptions(loadConfig(BaseConfig)).redis);
  const run = `test-channels-${process.pid}-${Date.now()}`;
  const deployments = ['blue', 'green'].map((name) => {
    const prefix = `${run}-${name}`;
    const heard: string[] = [];
    let notify: () => void = () => undefined;
    const server = new DeploymentRedisServer(prefix, transport);
    server.addHandler(
      EventPattern.TASK_CANCELLED,
      async (event: { taskId: string }) => {
        heard.push(event.taskId);
        notify();
      },
      true,
    );
    const client = new DeploymentRedisClient(prefix, transport);
    /** Resolves once this deployment's listener has heard `count` events. */
    const heardCount = (count: number) =>
      new Promise<void>((resolve) => {
        notify = () => heard.length >= count && resolve();
        notify();
      });
    return { name, server, client, heard, heardCount };
  });
  const [blue, green] = deployments;

  beforeAll(async () => {
    for (const { server, client } of deployments) {
      await new Promise<void>((resolve, reject) =>
        server.listen((error) => (error ? reject(new Error('listener did not start', { cause: error })) : resolve())),
      );
      await client.connect();
    }
  });

  afterAll(async () => {
    for (const { server, client } of deployments) {
      await client.close();
      await server.close();
    }
  });

  it("delivers a deployment's broadcast to its own listener only", async () => {
    // Redis delivers in the order it executes the PUBLISHes: once green has heard its own second
    // event, blue's event (published before it) would have reached green's listener already.
    await lastValueFrom(blue.client.emit(EventPattern.TASK_CANCELLED, { taskId: 'blue-1' }));
    await lastValueFrom(green.client.emit(EventPattern.TASK_CANCELLED, { taskId: 'green-1' }));
    await Promise.all([blue.heardCount(1), green.heardCount(1)]);

    expect(blue.heard).toEqual(['blue-1']);
    expect(green.heard).toEqual(['green-1']);
  });

  it('ignores a bare channel of the pattern, as an unprefixed deployment would publish it', async () => {
    const publisher = blue.client.unwrap<[import('ioredis').Redis, import('ioredis').Redis]>()[0];
    await publisher.publish(
      EventPattern.TASK_CANCELLED,
      JSON.stringify({ pattern: EventPattern.TASK_CANCELLED, data: { taskId: 'bare' } }),
    );
    await lastValueFrom(blue.client.emit(EventPattern.TASK_CANCELLED, { taskId: 'blue-2' }));
    await blue.heardCount(2);
    expect(blue.heard).toEqual(['blue-1', 'blue-2']);
  });
});
