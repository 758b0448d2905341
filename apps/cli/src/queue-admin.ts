import Bull from 'bull';
import type { RedisOptions } from '@app/config';
import { QueueName } from '@app/contracts';
import { redisConnection } from '@app/redis';

export const JOB_STATES = ['waiting', 'active', 'delayed', 'paused', 'completed', 'failed'] as const;

/**
 * The operator's direct view of the deployment's Bull queues in Redis (same prefix as the apps):
 * counts per state, cleaning old finished jobs, retrying failed ones. Opens queues only as asked.
 */
export class QueueAdmin {
  private readonly open = new Map<string, Bull.Queue>();

  constructor(
    private readonly redis: RedisOptions,
    private readonly prefix: string,
  ) {}

  static names(): string[] {
    return Object.values(QueueName);
  }

  queue(name: string): Bull.Queue {
    if (!QueueAdmin.names().includes(name)) {
      throw new Error(`unknown queue "${name}"; the queues are ${QueueAdmin.names().join(', ')}`);
    }
    let queue = this.open.get(name);
    if (!queue) {
      queue = new Bull(name, { redis: redisConnection(this.redis), prefix: this.prefix });
      this.open.set(name, queue);
    }
    return queue;
  }

  async counts(): Promise<{ queue: string; counts: Record<string, number> }[]> {
    return Promise.all(
      QueueAdmin.names().map(async (name) => {
        const counts: Record<string, number> = { ...(await this.queue(name).getJobCounts()) };
        return { queue: name, counts };
      }),
    );
  }

  /** Removes completed and failed jobs finished more than `graceMs` ago; how many per queue and state. */
  async clean(names: string[], graceMs: number): Promise<{ queue: string; completed: number; failed: number }[]> {
    const results = [];
    for (const name of names) {
      const queue = this.queue(name);
      const completed = await queue.clean(graceMs, 'completed');
      const failed = await queue.clean(graceMs, 'failed');
      results.push({ queue: name, completed: completed.length, failed: failed.length });
    }
    return results;
  }

  /** Puts every failed job of the queue back to waiting; how many. */
  async retryFailed(name: string): Promise<number> {
    const failed = await this.queue(name).getFailed();
    for (const job of failed) await job.retry();
    return failed.length;
  }

  async close(): Promise<void> {
    await Promise.all([...this.open.values()].map((queue) => queue.close()));
  }
}
