import { DynamicModule, Module } from '@nestjs/common';
import { TaskStage } from '@app/contracts';
import { AllowedHosts, OutboundGuard, OutboundHttpClient } from '@app/outbound';
import { stageProcessor } from '@app/pipeline';
import { DataSourceSimulator } from '@app/simulators';
import { ApiSourceReader, DatabaseSourceReader, InlineSourceReader } from '@app/sources';
import type { CollectorOptions, SourcesOptions } from '../collector.config';
import { COLLECT_OPTIONS, CollectTaskUseCase, DATA_SOURCE_READER } from './collect-task.usecase';
import type { LiveReaders } from './source-reader.router';
import { SourceReaderRouter } from './source-reader.router';

@Module({})
export class CollectionModule {
  static forRoot(options: CollectorOptions): DynamicModule {
    const { sources } = options;
    const reader = new SourceReaderRouter(
      new DataSourceSimulator(sources.simulator),
      new InlineSourceReader(sources.limits),
      liveReaders(sources),
    );
    return {
      module: CollectionModule,
      providers: [
        { provide: COLLECT_OPTIONS, useValue: options.collect },
        { provide: DATA_SOURCE_READER, useValue: reader },
        CollectTaskUseCase,
        stageProcessor(
          TaskStage.COLLECT,
          { concurrency: options.concurrency, timeoutMs: options.jobTimeoutMs },
          CollectTaskUseCase,
        ),
      ],
    };
  }
}

/** The readers that fetch api and database sources for real; none in simulated mode. */
function liveReaders(sources: SourcesOptions): LiveReaders | undefined {
  switch (sources.kind) {
    case 'simulated':
      return undefined;
    case 'live': {
      const { live, limits } = sources;
      const guard = new OutboundGuard(AllowedHosts.parse(live.allowedHosts));
      return {
        api: new ApiSourceReader(new OutboundHttpClient(guard), {
          ...limits,
          maxBytes: live.maxBytes,
          maxPages: live.maxPages,
        }),
        database: new DatabaseSourceReader(live.connections, {
          ...limits,
          statementTimeoutMs: live.statementTimeoutMs,
        }),
      };
    }
  }
}
