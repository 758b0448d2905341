import { InjectQueue } from '@nestjs/bull';
import { Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { Queue } from 'bull';
import { EvaluateChunkJob, JobName, QueueName } from '@app/contracts';
import { StageWorkers } from '@app/messaging';
import { EvaluateChunkUseCase } from './evaluate-chunk.usecase';

export const EVALUATE_CONCURRENCY = Symbol('EVALUATE_CONCURRENCY');

@Injectable()
export class EvaluateProcessor implements OnApplicationBootstrap {
  constructor(
    @InjectQueue(QueueName.EVALUATE) private readonly queue: Queue<EvaluateChunkJob>,
    @Inject(EVALUATE_CONCURRENCY) private readonly concurrency: number,
    private readonly workers: StageWorkers,
    private readonly evaluateChunk: EvaluateChunkUseCase,
  ) {}

  onApplicationBootstrap(): void {
    this.workers.process(this.queue, JobName.EVALUATE_CHUNK, this.concurrency, (job, signal) => this.evaluateChunk.execute(job, signal));
  }
}
