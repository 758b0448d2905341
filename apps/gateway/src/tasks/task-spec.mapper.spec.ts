import type { CreateTaskDto } from '@app/contracts';
import { DataSourceType, EXAMPLE_TASK, TaskPriority } from '@app/contracts';
import { toTaskRequest, toTaskSpec } from './task-spec.mapper';

const REQUEST: CreateTaskDto = {
  data_sources: [
    { id: 'db1', type: DataSourceType.DATABASE, connection: 'main' },
    {
      id: 'api1',
      type: DataSourceType.API,
      url: 'https://example.test',
      simulation: { records: 3, failure_rate: 0.5, latency_ms: 10 },
    },
  ],
  llm_config: { model: 'gpt-3.5-turbo', temperature: 0.2 },
  dimensions: [{ id: 'dim1', name: 'Quality', threshold: 0.6, description: 'How complete' }],
};

describe('task spec mapper', () => {
  it('maps the request to the plain TaskSpec', () => {
    expect(toTaskSpec(REQUEST)).toStrictEqual({
      sources: [
        { id: 'db1', type: DataSourceType.DATABASE, connection: 'main' },
        {
          id: 'api1',
          type: DataSourceType.API,
          url: 'https://example.test',
          simulation: { records: 3, failureRate: 0.5, latencyMs: 10 },
        },
      ],
      llm: { model: 'gpt-3.5-turbo', temperature: 0.2 },
      dimensions: [{ id: 'dim1', name: 'Quality', threshold: 0.6, description: 'How complete' }],
    });
  });

  it('leaves out what the request left out, so the view gives back the request as it came', () => {
    const request: CreateTaskDto = {
      data_sources: [{ id: 'api1', type: DataSourceType.API, url: 'u', simulation: { records: 0 } }],
      llm_config: { model: 'm' },
      dimensions: [{ id: 'd', name: 'n', threshold: 0 }],
    };
    const spec = toTaskSpec(request);

    expect(spec).toStrictEqual({
      sources: [{ id: 'api1', type: DataSourceType.API, url: 'u', simulation: { records: 0 } }],
      llm: { model: 'm' },
      dimensions: [{ id: 'd', name: 'n', threshold: 0 }],
    });
    expect(toTaskRequest(spec)).toStrictEqual(request);
    expect(toTaskRequest(toTaskSpec(REQUEST))).toStrictEqual(REQUEST);
    expect(toTaskRequest(toTaskSpec(EXAMPLE_TASK))).toStrictEqual(EXAMPLE_TASK);
  });

  it('maps the live-source fields both ways', () => {
    const request: CreateTaskDto = {
      data_sources: [
        {
          id: 'db',
          type: DataSourceType.DATABASE,
          connection: 'w',
          query: 'SELECT 1',
          id_field: 'id',
          text_field: 'b',
        },
        { id: 'api', type: DataSourceType.API, url: 'https://x.test', records_path: 'data.items' },
        { id: 'in', type: DataSourceType.INLINE, records: [{ a: 1 }] },
      ],
      llm_config: { model: 'm' },
      dimensions: [{ id: 'd', name: 'n', threshold: 0 }],
    };
    const spec = toTaskSpec(request);
    expect(spec.sources).toStrictEqual([
      { id: 'db', type: DataSourceType.DATABASE, connection: 'w', query: 'SELECT 1', idField: 'id', textField: 'b' },
      { id: 'api', type: DataSourceType.API, url: 'https://x.test', recordsPath: 'data.items' },
      { id: 'in', type: DataSourceType.INLINE, records: [{ a: 1 }] },
    ]);
    expect(toTaskRequest(spec)).toStrictEqual(request);
  });

  it("carries labels, priority and limits across, in each side's names", () => {
    const request: CreateTaskDto = {
      ...REQUEST,
      labels: { team: 'search' },
      priority: TaskPriority.HIGH,
      limits: { hard_seconds: 60 },
    };
    const spec = toTaskSpec(request);
    expect(spec).toMatchObject({ labels: { team: 'search' }, priority: 'high', limits: { hardSeconds: 60 } });
    expect(spec.limits).toStrictEqual({ hardSeconds: 60 });
    expect(toTaskRequest(spec)).toStrictEqual(request);
  });
});
