import type { TaskResultPageDto, TaskUsageDto } from '@app/contracts';
import { EXAMPLE_TASK, TaskStage, TaskStatus } from '@app/contracts';
import { DeliveryStatus } from '@app/delivery';
import type { TaskFailure } from '@app/persistence';
import { TaskEntity } from '@app/persistence';
import { toTaskSpec } from './task-spec.mapper';
import { toTaskView } from './task-view.mapper';

function entity(overrides: Partial<TaskEntity> = {}): TaskEntity {
  return Object.assign(new TaskEntity(), {
    id: '4b1c7d0e-0000-4000-8000-000000000001',
    status: TaskStatus.RUNNING,
    stage: TaskStage.EVALUATE,
    spec: toTaskSpec(EXAMPLE_TASK),
    sourcesTotal: 2,
    sourcesCollected: 1,
    sourcesFailed: 1,
    recordsTotal: 25,
    recordsEvaluated: 20,
    recordsFailed: 3,
    recordsDropped: 0,
    dimensionsTotal: 2,
    dimensionsDone: 0,
    chunksTotal: 1,
    chunksDone: 0,
    error: null,
    createdAt: new Date('2024-05-01T10:00:00.000Z'),
    updatedAt: new Date('2024-05-01T10:00:05.500Z'),
    startedAt: new Date('2024-05-01T10:00:01.000Z'),
    finishedAt: null,
    ...overrides,
  });
}

const RESULT: TaskResultPageDto = {
  dimensions: [],
  passed_all_dimensions: 4,
  records_evaluated: 20,
  records_failed: 3,
  records_dropped: 0,
  sources_failed: 1,
  generated_at: '2024-05-01T10:01:00.000Z',
  next_cursor: null,
};

const USAGE: TaskUsageDto = {
  prompt_tokens: 120,
  completion_tokens: 30,
  calls: 6,
  cache_hits: 2,
  dimensions: [{ dimension_id: 'dim1', prompt_tokens: 120, completion_tokens: 30, calls: 6, cache_hits: 2 }],
};

describe(toTaskView.name, () => {
  it('maps identity, request and every counter of a running task', () => {
    const view = toTaskView(entity(), [], undefined, USAGE);

    expect(view.id).toBe('4b1c7d0e-0000-4000-8000-000000000001');
    expect(view.status).toBe(TaskStatus.RUNNING);
    expect(view.stage).toBe(TaskStage.EVALUATE);
    expect(view.request).toEqual(EXAMPLE_TASK);
    expect(view.progress).toEqual({
      sources_total: 2,
      sources_collected: 1,
      sources_failed: 1,
      records_total: 25,
      records_evaluated: 20,
      records_failed: 3,
      records_dropped: 0,
      dimensions_total: 2,
      dimensions_done: 0,
    });
  });

  it('renders timestamps as ISO strings and unset ones as null', () => {
    const view = toTaskView(entity(), [], undefined, USAGE);

    expect(view.created_at).toBe('2024-05-01T10:00:00.000Z');
    expect(view.updated_at).toBe('2024-05-01T10:00:05.500Z');
    expect(view.started_at).toBe('2024-05-01T10:00:01.000Z');
    expect(view.finished_at).toBeNull();
  });

  it('renders a pending task that has not started with null started_at and finished_at', () => {
    const view = toTaskView(
      entity({ status: TaskStatus.PENDING, stage: TaskStage.COLLECT, startedAt: null }),
      [],
      undefined,
      USAGE,
    );
    expect(view.started_at).toBeNull();
    expect(view.finished_at).toBeNull();
  });

  it('maps the failures, leaving record_id out for a source-level failure, and the task error', () => {
    const failures: TaskFailure[] = [
      {
        stage: TaskStage.COLLECT,
        sourceId: 'db1',
        recordId: null,
        message: 'source db1 failed after 4 attempt(s): boom',
      },
      { stage: TaskStage.EVALUATE, sourceId: 'api1', recordId: 'r7', message: 'dim1: bad answer' },
    ];
    const view = toTaskView(
      entity({
        status: TaskStatus.FAILED,
        error: 'every record failed evaluation',
        finishedAt: new Date('2024-05-01T10:02:00.000Z'),
      }),
      failures,
      undefined,
      USAGE,
    );

    expect(view.error).toBe('every record failed evaluation');
    expect(view.finished_at).toBe('2024-05-01T10:02:00.000Z');
    expect(view.errors).toEqual([
      { stage: TaskStage.COLLECT, source_id: 'db1', message: 'source db1 failed after 4 attempt(s): boom' },
      { stage: TaskStage.EVALUATE, source_id: 'api1', record_id: 'r7', message: 'dim1: bad answer' },
    ]);
    expect(view.errors[0]).not.toHaveProperty('record_id');
  });

  it('has no result property while there is no result', () => {
    const view = toTaskView(entity(), [], undefined, USAGE);
    expect(view).not.toHaveProperty('result');
    expect(view.errors).toEqual([]);
    expect(view.error).toBeNull();
  });

  it('includes the result once there is one', () => {
    const view = toTaskView(
      entity({
        status: TaskStatus.COMPLETED,
        stage: TaskStage.GENERATE,
        finishedAt: new Date('2024-05-01T10:01:00.000Z'),
      }),
      [],
      RESULT,
      USAGE,
    );
    expect(view.result).toEqual(RESULT);
    expect(view.usage).toEqual(USAGE);
  });

  it('produces a JSON-serialisable view', () => {
    const view = toTaskView(entity(), [], RESULT, USAGE);
    expect(JSON.parse(JSON.stringify(view))).toEqual(view);
  });

  it("shows each output's delivery: waiting until the task ends, then its state", () => {
    const spec = {
      ...toTaskSpec(EXAMPLE_TASK),
      outputs: [
        { type: 'export' as const, format: 'csv' as const, to: 'webhook' as const, url: 'http://x.test/h' },
        { type: 'email' as const, to: ['a@x.test'] },
      ],
    };
    const view = toTaskView(entity({ spec }), [], undefined, USAGE, [
      {
        key: 'output:1',
        kind: 'output.email',
        spec: spec.outputs[1],
        status: DeliveryStatus.FAILED,
        attempts: 3,
        lastError: 'SMTP: refused',
        lastHttpStatus: null,
        nextAttemptAt: new Date(),
        deliveredAt: null,
      },
    ]);
    expect(view.outputs).toEqual([
      { output: 0, type: 'export', status: 'waiting', attempts: 0, last_error: null, delivered_at: null },
      { output: 1, type: 'email', status: 'failed', attempts: 3, last_error: 'SMTP: refused', delivered_at: null },
    ]);
  });

  it("shows the webhook told of the task's end, its secret never, and the notification's delivery", () => {
    const spec = {
      ...toTaskSpec(EXAMPLE_TASK),
      notify: { webhook: { url: 'http://x.test/n', secret: 's'.repeat(20) } },
    };
    expect(toTaskView(entity({ spec }), [], undefined, USAGE).notification).toEqual({
      event: null,
      url: 'http://x.test/n',
      status: 'waiting',
      attempts: 0,
      last_status: null,
      last_error: null,
      next_attempt_at: null,
      delivered_at: null,
    });
    const retrying = new Date('2026-01-01T00:00:05Z');
    const view = toTaskView(entity({ spec }), [], undefined, USAGE, [
      {
        key: 'notify',
        kind: 'notify.webhook',
        spec: { event: 'task.completed', url: 'http://x.test/n' },
        status: DeliveryStatus.PENDING,
        attempts: 2,
        lastError: 'POST http://x.test/n answered 503',
        lastHttpStatus: 503,
        nextAttemptAt: retrying,
        deliveredAt: null,
      },
    ]);
    expect(view.notification).toMatchObject({
      event: 'task.completed',
      status: 'pending',
      attempts: 2,
      last_status: 503,
      next_attempt_at: retrying.toISOString(),
    });
    expect(view.request.notify).toEqual({ webhook: { url: 'http://x.test/n', secret: '(hidden)' } });
    expect(JSON.stringify(view)).not.toContain('s'.repeat(20));
    expect(toTaskView(entity(), [], undefined, USAGE).notification).toBeNull();
  });
});
