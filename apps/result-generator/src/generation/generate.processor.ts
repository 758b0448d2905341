import { InjectQueue } from '@nestjs/bull';
import { Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { Queue } from 'bull';
import { GenerateResultJob, JobName, QueueName } from '@app/contracts';
import { StageWorkers } from '@app/messaging';
import { GenerateResultUseCase } from './generate-result.usecase';

export const GENERATE_CONCURRENCY = Symbol('GENERATE_CONCURRENCY');

@Injectable()
export class GenerateProcessor implements OnApplicationBootstrap {
  constructor(
    @InjectQueue(QueueName.GENERATE) private readonly queue: Queue<GenerateResultJob>,
    @Inject(GENERATE_CONCURRENCY) private readonly concurrency: number,
    private readonly workers: StageWorkers,
    private readonly generateResult: GenerateResultUseCase,
  ) {}

  onApplicationBootstrap(): void {
    this.workers.process(this.queue, JobName.GENERATE_RESULT, this.concurrency, (job, signal) => this.generateResult.execute(job.taskId, signal));
  }
}
