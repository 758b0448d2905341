import type { OnApplicationShutdown } from '@nestjs/common';
import type { ReadPacket, RedisOptions as RedisTransportOptions } from '@nestjs/microservices';
import { ClientRedis, ServerRedis } from '@nestjs/microservices';
import type Redis from 'ioredis';

type TransportOptions = Required<RedisTransportOptions>['options'];

/**
 * The Redis pub/sub channel of a broadcast in one deployment: Nest's transport names a channel after
 * the pattern alone, so two deployments on one Redis would hear each other's cancels and progress.
 */
export function deploymentChannel(prefix: string, pattern: string): string {
  return `${prefix}:${pattern}`;
}

/** Separates a keyed broadcast's pattern from its key in the channel's name. */
const KEY_SEPARATOR = '#';

/** The pattern a keyed broadcast is published under: its own channel per key (e.g. per task). */
export function keyedPattern(pattern: string, key: string): string {
  return `${pattern}${KEY_SEPARATOR}${key}`;
}

/**
 * The Redis transport's listener, subscribed to its handlers' patterns under the deployment's prefix
 * only; a message is handed on by its bare pattern, so handlers keep their `@EventPattern`s. A keyed
 * pattern (see keyedPattern) is heard per key, and only for the keys followed at the time: a gateway
 * hears the progress of the tasks its clients watch, not of every task the deployment runs.
 */
export class DeploymentRedisServer extends ServerRedis {
  private subscriber: Redis | undefined;
  /** Followers per channel of a followed key. */
  private readonly followed = new Map<string, number>();

  constructor(
    private readonly prefix: string,
    options: TransportOptions,
    private readonly keyed: readonly string[] = [],
  ) {
    super(options);
  }

  override bindEvents(subClient: Redis, pubClient: Redis): void {
    this.subscriber = subClient;
    const own = deploymentChannel(this.prefix, '');
    subClient.on('message', (channel: string, buffer: string) => {
      if (!channel.startsWith(own)) return;
      const [pattern] = channel.slice(own.length).split(KEY_SEPARATOR, 1);
      void this.handleMessage(pattern, buffer, pubClient, pattern);
    });
    for (const [pattern, handler] of this.messageHandlers) {
      // Broadcasts are events only: a request/reply handler would need reply channels under the prefix too.
      if (!handler.isEventHandler) throw new Error(`broadcast handler for ${pattern} must be an event handler`);
      if (!this.keyed.includes(pattern)) void subClient.subscribe(deploymentChannel(this.prefix, pattern));
    }
    for (const channel of this.followed.keys()) this.subscribe(channel);
  }

  /** Hears the broadcasts of `pattern` for `key` until the function returned is called. */
  follow(pattern: string, key: string): () => void {
    const channel = deploymentChannel(this.prefix, keyedPattern(pattern, key));
    const followers = this.followed.get(channel) ?? 0;
    this.followed.set(channel, followers + 1);
    if (followers === 0) this.subscribe(channel);
    let unfollowed = false;
    return () => {
      if (unfollowed) return;
      unfollowed = true;
      const left = (this.followed.get(channel) ?? 1) - 1;
      if (left > 0) {
        this.followed.set(channel, left);
        return;
      }
      this.followed.delete(channel);
      this.subscriber?.unsubscribe(channel).catch(() => undefined);
    };
  }

  /**
   * Best effort, like every broadcast: ioredis subscribes again after a reconnect, and a follower
   * whose subscription failed still reads Postgres (a live stream polls).
   */
  private subscribe(channel: string): void {
    this.subscriber?.subscribe(channel).catch(() => undefined);
  }
}

/** The Redis transport's publisher, emitting on the deployment's channels (see DeploymentRedisServer). */
export class DeploymentRedisClient extends ClientRedis implements OnApplicationShutdown {
  constructor(
    private readonly prefix: string,
    options: TransportOptions,
  ) {
    super(options);
  }

  protected override dispatchEvent(packet: ReadPacket): Promise<unknown> {
    return super.dispatchEvent({
      ...packet,
      pattern: deploymentChannel(this.prefix, this.normalizePattern(packet.pattern as string)),
    });
  }

  /**
   * emit() without the rxjs pipeline that ClientProxy builds for every call (about half a millisecond
   * of CPU per progress event under load): the same packet on the same connection.
   */
  async broadcast(pattern: string, data: unknown): Promise<void> {
    await this.connect();
    await this.dispatchEvent({ pattern, data });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }
}
