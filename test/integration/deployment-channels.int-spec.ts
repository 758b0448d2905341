import type { Redis } from 'ioredis';
import { lastValueFrom } from 'rxjs';
import { appOptions, BaseConfig, loadConfig } from '@app/config';
import { EventPattern } from '@app/contracts';
import {
  deploymentChannel,
  DeploymentRedisClient,
  DeploymentRedisServer,
  keyedPattern,
  redisTransport,
} from '@app/pipeline';

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

/**
 * Progress is keyed by task: published on the task's own channel, heard by a listener only while it
 * follows that task, so a gateway does not take in the progress of every task the deployment runs.
 */
describe('keyed broadcasts (Redis)', () => {
  const transport = redisTransport(appOptions(loadConfig(BaseConfig)).redis);
  const prefix = `test-keyed-${process.pid}-${Date.now()}`;
  const heard: string[] = [];
  let notify: () => void = () => undefined;
  const server = new DeploymentRedisServer(prefix, transport, [EventPattern.TASK_PROGRESS]);
  for (const pattern of [EventPattern.TASK_PROGRESS, EventPattern.TASK_CANCELLED]) {
    server.addHandler(
      pattern,
      async (event: { taskId: string }) => {
        heard.push(`${pattern} ${event.taskId}`);
        notify();
      },
      true,
    );
  }
  const client = new DeploymentRedisClient(prefix, transport);
  const progress = (taskId: string) => client.broadcast(keyedPattern(EventPattern.TASK_PROGRESS, taskId), { taskId });
  /** A cancel, heard by every listener: once it is heard, whatever was published before it was too. */
  const marker = async (taskId: string) => {
    const heardNow = new Promise<void>(
      (resolve) => (notify = () => heard.includes(`task.cancelled ${taskId}`) && resolve()),
    );
    await client.broadcast(EventPattern.TASK_CANCELLED, { taskId });
    await heardNow;
  };
  const subscribers = async (taskId: string): Promise<number> => {
    const channel = deploymentChannel(prefix, keyedPattern(EventPattern.TASK_PROGRESS, taskId));
    const [, count] = (await client.unwrap<[Redis, Redis]>()[0].pubsub('NUMSUB', channel)) as [string, number];
    return count;
  };
  const until = async (condition: () => Promise<boolean>) => {
    for (let attempt = 0; !(await condition()); attempt++) {
      if (attempt > 100) throw new Error('condition not reached within 2 s');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };

  beforeAll(async () => {
    await new Promise<void>((resolve, reject) =>
      server.listen((error) => (error ? reject(new Error('listener did not start', { cause: error })) : resolve())),
    );
    await client.connect();
  });

  afterAll(async () => {
    await client.close();
    await server.close();
  });

  it("hears a task's progress only while following it, once per task however many follow it", async () => {
    const unfollowFirst = server.follow(EventPattern.TASK_PROGRESS, 'watched');
    const unfollowSecond = server.follow(EventPattern.TASK_PROGRESS, 'watched');
    await until(async () => (await subscribers('watched')) === 1);
    await progress('unwatched');
    await progress('watched');
    await marker('m1');
    expect(heard).toEqual(['task.progress watched', 'task.cancelled m1']);

    unfollowFirst();
    unfollowFirst();
    await progress('watched');
    await marker('m2');
    expect(heard.slice(2)).toEqual(['task.progress watched', 'task.cancelled m2']);

    unfollowSecond();
    await until(async () => (await subscribers('watched')) === 0);
    await progress('watched');
    await marker('m3');
    expect(heard.slice(4)).toEqual(['task.cancelled m3']);
  });
});
