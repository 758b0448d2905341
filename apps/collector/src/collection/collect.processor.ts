import { InjectQueue } from '@nestjs/bull';
import { Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { Queue } from 'bull';
import { CollectTaskJob, JobName, QueueName } from '@app/contracts';
import { StageWorkers } from '@app/messaging';
import { CollectTaskUseCase } from './collect-task.usecase';

export const COLLECT_CONCURRENCY = Symbol('COLLECT_CONCURRENCY');

@Injectable()
export class CollectProcessor implements OnApplicationBootstrap {
  constructor(
    @InjectQueue(QueueName.COLLECT) private readonly queue: Queue<CollectTaskJob>,
    @Inject(COLLECT_CONCURRENCY) private readonly concurrency: number,
    private readonly workers: StageWorkers,
    private readonly collectTask: CollectTaskUseCase,
  ) {}

  onApplicationBootstrap(): void {
    this.workers.process(this.queue, JobName.COLLECT_TASK, this.concurrency, (job, signal) => this.collectTask.execute(job.taskId, signal));
  }
}
