import type { TaskView } from './format';
import { describeTask, percentDone, table } from './format';

function task(status: string, progress: Partial<TaskView['progress']> = {}): TaskView {
  return {
    id: 't1',
    status,
    stage: 'evaluate',
    progress: {
      sources_total: 2,
      sources_collected: 2,
      sources_failed: 0,
      records_total: 100,
      records_evaluated: 50,
      records_failed: 0,
      dimensions_total: 2,
      dimensions_done: 0,
      ...progress,
    },
  };
}

describe('percentDone', () => {
  it('weighs collect 10 %, evaluate 80 %, generate 10 %, and stays below 100 while active', () => {
    expect(percentDone(task('pending', { sources_collected: 0, records_total: 0, records_evaluated: 0 }))).toBe(0);
    expect(percentDone(task('running'))).toBe(50);
    expect(percentDone(task('running', { records_evaluated: 90, records_failed: 10, dimensions_done: 2 }))).toBe(99);
    expect(percentDone(task('completed', { records_evaluated: 0 }))).toBe(100);
    expect(percentDone(task('cancelled'))).toBe(100);
  });
});

describe('describeTask', () => {
  it('shows the stage only while the task is active, and the error when there is one', () => {
    expect(describeTask(task('running'))).toMatch(/status +running \(evaluate\)/);
    const failed = describeTask({ ...task('failed'), error: 'every data source failed' });
    expect(failed).toMatch(/status +failed\n/);
    expect(failed).toMatch(/error +every data source failed/);
  });
});

describe('table', () => {
  it('aligns the columns', () => {
    expect(
      table(
        ['queue', 'waiting'],
        [
          ['collect', 0],
          ['evaluate', 12],
        ],
      ),
    ).toBe('queue     waiting\ncollect   0\nevaluate  12');
  });
});
