import type { Scenario, ScenarioContext, ScenarioOutcome } from '../scenario';
import { peakRssFigures } from '../support/figures';
import { submitTasks, taskBody, waitForTasks } from '../support/load';
import { atLeast, atMost, round } from '../support/report';
import { BenchSystem } from '../support/system';

/**
 * A burst of 100,000 one-record tasks: all submitted as fast as the gateway takes them while the
 * workers run, so most of them are in flight at once. Redis's memory is the figure to watch.
 */
async function run({ services, size, log }: ScenarioContext): Promise<ScenarioOutcome> {
  const tasks = size('tasks', 100_000, 2_000);
  const bench = await BenchSystem.start(services, {
    env: { LLM_MAX_CONCURRENCY: '1000', WORKER_CONCURRENCY: '100' },
  });
  try {
    const monitor = await bench.monitor();
    const submitStarted = performance.now();
    await submitTasks(bench.baseUrl, tasks, 40, (index) =>
      taskBody(index, { sources: 1, records: 1, dimensions: 1, sourceLatencyMs: 0 }),
    );
    const submitS = (performance.now() - submitStarted) / 1000;
    log(`  ${tasks} tasks submitted in ${Math.round(submitS)} s`);
    const counts = await waitForTasks(services.database, tasks, 600_000 + tasks * 200, log);
    const redisAtEndMb = await services.redis.usedMemoryMb();
    const usage = await monitor.stop();
    const seconds = counts.spanMs / 1000;
    return {
      parameters: { tasks, 'sources × records × dimensions': '1 × 1 × 1', 'submit concurrency': 40 },
      figures: [
        atLeast(
          { name: 'tasks completed', value: counts.completed, reference: { label: 'submitted', value: tasks } },
          tasks,
          'all',
        ),
        atMost(
          { name: 'Redis used_memory, peak', value: Math.round(usage.redisPeakMemoryMb), unit: 'MB' },
          1024,
          '< 1 GiB',
        ),
        { name: 'Redis used_memory when all had ended', value: Math.round(redisAtEndMb), unit: 'MB' },
        { name: 'Postgres database size at the end', value: Math.round(await services.database.sizeMb()), unit: 'MB' },
        { name: 'submission', value: round(tasks / submitS, 0), unit: 'tasks/s' },
        { name: 'wall time, first submit to last end', value: round(seconds, 1), unit: 's' },
        { name: 'tasks/s end to end', value: round(tasks / seconds, 1) },
        ...peakRssFigures(usage),
      ],
      usage: { run: usage },
      notes: [`Tasks ended otherwise than completed: ${counts.other}.`],
    };
  } finally {
    await bench.stop();
  }
}

export const manyTasks: Scenario = {
  name: 'many-tasks',
  title: '100,000 tasks in flight: Redis memory, Postgres size, completion',
  takes: { full: '30–60 min', quick: '1 min' },
  run,
};
