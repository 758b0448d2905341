import { randomBytes, randomUUID } from 'crypto';
import type { DataSource } from 'typeorm';
import { TaskStatus } from '@app/contracts';
import type { KeysetPosition, TaskListFilter } from '@app/persistence';
import { listQuery, TaskQueryStore, TaskRepository } from '@app/persistence';
import { openTestDataSource } from '../support/database';

// The read side against the real test database: keyset pages, the plans Postgres picks for them,
// statistics and result pages. Rows are inserted with SQL (10,000 tasks in one statement) and carry a
// label of this run, so filters scope the assertions to them; they are deleted afterwards.
describe(`${TaskQueryStore.name} (Postgres)`, () => {
  const run = randomBytes(4).toString('hex');
  let db: DataSource;
  let store: TaskQueryStore;

  beforeAll(async () => {
    db = await openTestDataSource();
    store = new TaskQueryStore(db);
  });

  afterAll(async () => {
    if (!db) return;
    await db.query(`DELETE FROM tasks WHERE labels ->> 'run' = $1`, [run]);
    await db.destroy();
  });

  /** As in a real table, most tasks have ended well; a few failed, fewer run. */
  const STATUSES = [TaskStatus.FAILED, TaskStatus.RUNNING, ...Array<TaskStatus>(8).fill(TaskStatus.COMPLETED)];

  /**
   * `count` tasks of this run, the n-th with status STATUSES[n % 10], created (n / 20) ms before now:
   * runs of the same created_at (a status's rows share it in pairs), so the id must break the ties.
   */
  async function insertTasks(
    count: number,
    labels: Record<string, string>,
    createdAt = 'now()',
    owner: string | null = null,
  ): Promise<string[]> {
    const rows = await db.query<{ id: string }[]>(
      `INSERT INTO tasks (id, status, stage, spec, sources_total, dimensions_total, labels, created_at, owner)
       SELECT gen_random_uuid(), ($1::varchar[])[1 + n % 10], 'collect', '{}'::jsonb, 1, 1, $2::jsonb,
              ${createdAt} - (n / 20) * interval '1 millisecond', $4
       FROM generate_series(0, $3 - 1) AS n RETURNING id`,
      [STATUSES, JSON.stringify({ run, ...labels }), count, owner],
    );
    return rows.map((row) => row.id);
  }

  async function walk(
    filter: TaskListFilter,
    limit: number,
    betweenPages: () => Promise<unknown> = async () => undefined,
  ): Promise<{ ids: string[]; pages: number }> {
    const ids: string[] = [];
    let after: KeysetPosition | undefined;
    let pages = 0;
    for (;;) {
      const page = await store.list(filter, after, limit);
      pages += 1;
      expect(page.rows.length).toBeLessThanOrEqual(limit);
      ids.push(...page.rows.map((row) => row.id));
      if (!page.next) return { ids, pages };
      after = page.next;
      await betweenPages();
    }
  }

  describe('keyset pages', () => {
    let walkLabel: string;
    let original: string[];

    // Two API keys' tasks beside the walk's (which have no owner, as with an open API).
    const owners = [`alice-${run}`, `bob-${run}`];
    let owned: string[][];

    beforeAll(async () => {
      walkLabel = `walk-${run}`;
      original = await insertTasks(10_000, { set: walkLabel });
      owned = [
        await insertTasks(300, { set: `owned-${run}` }, 'now()', owners[0]),
        await insertTasks(200, { set: `owned-${run}` }, 'now()', owners[1]),
      ];
      await db.query('ANALYZE tasks');
    }, 60_000);

    it("walks one owner's tasks only, all of them, also by status", async () => {
      for (const [index, owner] of owners.entries()) {
        const { ids } = await walk({ owner }, 70);
        expect([...ids].sort()).toEqual([...owned[index]].sort());
        const running = await walk({ owner, statuses: [TaskStatus.RUNNING] }, 7);
        expect(running.ids).toHaveLength(owned[index].length / 10);
      }
      const both = await walk({ labels: { set: `owned-${run}` } }, 100);
      expect(both.ids).toHaveLength(500);
    });

    it('walks 10,000 tasks newest first with no repeat and no gap while new tasks arrive', async () => {
      let arrived: string[] = [];
      const { ids, pages } = await walk({ labels: { set: walkLabel } }, 200, async () => {
        arrived = arrived.concat(await insertTasks(7, { set: walkLabel }, 'clock_timestamp()'));
      });

      expect(new Set(ids).size).toBe(ids.length);
      const seen = new Set(ids);
      expect(original.filter((id) => !seen.has(id))).toEqual([]);
      // Tasks arriving during the walk are newer than its first page, so none of them shows up behind it.
      expect(ids.filter((id) => !original.includes(id))).toEqual([]);
      expect(pages).toBe(50);
      expect(arrived.length).toBe(49 * 7);
    }, 60_000);

    it('orders by created_at then id, descending, exactly as Postgres does', async () => {
      const { ids } = await walk({ labels: { set: walkLabel } }, 137);
      const expected = await db.query<{ id: string }[]>(
        `SELECT id FROM tasks WHERE labels @> $1::jsonb ORDER BY created_at DESC, id DESC`,
        [JSON.stringify({ set: walkLabel })],
      );
      expect(ids).toEqual(expected.map((row) => row.id));
    }, 60_000);

    it('walks a status filter of several statuses: exactly those tasks, in order', async () => {
      const filter = { statuses: [TaskStatus.FAILED, TaskStatus.RUNNING], labels: { set: walkLabel } };
      const { ids } = await walk(filter, 150);
      const expected = await db.query<{ id: string }[]>(
        `SELECT id FROM tasks WHERE labels @> $1::jsonb AND status IN ('failed', 'running')
         ORDER BY created_at DESC, id DESC`,
        [JSON.stringify({ set: walkLabel })],
      );
      expect(expected.length).toBeGreaterThanOrEqual(2_000);
      expect(ids).toEqual(expected.map((row) => row.id));
    }, 60_000);

    it('bounds by created_after and created_before (exclusive)', async () => {
      const [newest] = (await store.list({ labels: { set: walkLabel } }, undefined, 1)).rows;
      const bounds = await db.query<{ lower: Date; upper: Date }[]>(
        `SELECT min(created_at) + interval '50 milliseconds' AS lower, min(created_at) + interval '100 milliseconds' AS upper
         FROM tasks WHERE labels @> $1::jsonb`,
        [JSON.stringify({ set: walkLabel })],
      );
      const { lower, upper } = bounds[0];
      const { ids } = await walk({ labels: { set: walkLabel }, createdAfter: lower, createdBefore: upper }, 200);
      const expected = await db.query<{ id: string }[]>(
        `SELECT id FROM tasks WHERE labels @> $1::jsonb AND created_at > $2 AND created_at < $3
         ORDER BY created_at DESC, id DESC`,
        [JSON.stringify({ set: walkLabel }), lower, upper],
      );
      expect(expected.length).toBeGreaterThan(100);
      expect(ids).toEqual(expected.map((row) => row.id));
      expect(newest).toBeDefined();
    }, 60_000);

    it('combines labels with AND', async () => {
      const tagged = await insertTasks(3, { set: walkLabel, team: 'search' });
      await insertTasks(2, { team: 'search' });
      const { ids } = await walk({ labels: { set: walkLabel, team: 'search' } }, 20);
      expect([...ids].sort()).toEqual([...tagged].sort());
    });

    /** The node types and index names of a plan, flattened. */
    async function plan(filter: TaskListFilter, after?: KeysetPosition): Promise<string[]> {
      const { sql, parameters } = listQuery(filter, after, 51);
      const [{ 'QUERY PLAN': root }] = await db.query<{ 'QUERY PLAN': { Plan: PlanNode }[] }[]>(
        `EXPLAIN (FORMAT JSON) ${sql}`,
        parameters,
      );
      const nodes: string[] = [];
      const visit = (node: PlanNode): void => {
        nodes.push(`${node['Node Type']}${node['Index Name'] ? ` ${node['Index Name']}` : ''}`);
        for (const child of node.Plans ?? []) visit(child);
      };
      visit(root[0].Plan);
      return nodes;
    }

    it('reads each page through an index, never a scan of the table or a sort of it', async () => {
      const middle = (await store.list({}, undefined, 500)).next;
      const cases: [TaskListFilter, KeysetPosition | undefined, string][] = [
        [{}, undefined, 'tasks_created_at_idx'],
        [{}, middle, 'tasks_created_at_idx'],
        [{ statuses: [TaskStatus.RUNNING] }, middle, 'tasks_status_created_at_idx'],
        [{ statuses: [TaskStatus.FAILED, TaskStatus.RUNNING] }, middle, 'tasks_status_created_at_idx'],
        [{ statuses: [TaskStatus.PENDING, TaskStatus.RUNNING] }, undefined, 'tasks_status_created_at_idx'],
        [{ labels: { set: `absent-${run}` } }, undefined, 'tasks_labels_idx'],
        [{ owner: owners[0] }, undefined, 'tasks_owner_created_at_idx'],
        [{ owner: owners[0], statuses: [TaskStatus.RUNNING] }, undefined, 'tasks_owner_status_created_at_idx'],
        [
          { owner: owners[1], statuses: [TaskStatus.FAILED, TaskStatus.RUNNING] },
          undefined,
          'tasks_owner_status_created_at_idx',
        ],
      ];
      for (const [filter, after, index] of cases) {
        const nodes = await plan(filter, after);
        expect({ filter, nodes }).toEqual({ filter, nodes: expect.arrayContaining([expect.stringContaining(index)]) });
        expect(nodes.filter((node) => node.startsWith('Seq Scan'))).toEqual([]);
        // Per-status walks are merged, and label matches ordered, by a sort of one page's worth of rows
        // at most; an unfiltered page is read in order straight from the index.
        if (!filter.statuses && !filter.labels) expect(nodes.filter((node) => node.startsWith('Sort'))).toEqual([]);
      }
    });
  });

  describe('statistics', () => {
    it('counts every status and the tasks ended in the last 1, 5 and 15 minutes', async () => {
      const tasks = new TaskRepository(db);
      const [countsBefore, before] = [await tasks.countByStatus(), await store.statistics(3_600)];
      await db.query(
        `INSERT INTO tasks (id, status, stage, spec, sources_total, dimensions_total, labels, created_at, started_at, finished_at)
         SELECT gen_random_uuid(), s.status, 'generate', '{}'::jsonb, 1, 1, $1::jsonb, now() - interval '1 hour',
                now() - interval '1 hour', now() - s.ago
         FROM (VALUES ('completed', interval '10 seconds'), ('completed', interval '3 minutes'),
                      ('failed', interval '10 minutes'), ('cancelled', interval '40 minutes'),
                      ('pending', NULL), ('running', NULL)) AS s(status, ago)`,
        [JSON.stringify({ run })],
      );
      const [countsAfter, after] = [await tasks.countByStatus(), await store.statistics(3_600)];
      const diff = (status: TaskStatus): number => countsAfter[status] - countsBefore[status];
      expect(Object.values(TaskStatus).map((status) => [status, diff(status)])).toEqual([
        [TaskStatus.PENDING, 1],
        [TaskStatus.RUNNING, 1],
        [TaskStatus.COMPLETED, 2],
        [TaskStatus.COMPLETED_WITH_ERRORS, 0],
        [TaskStatus.FAILED, 1],
        [TaskStatus.CANCELLED, 1],
      ]);
      expect(after.finished.last1m - before.finished.last1m).toBe(1);
      expect(after.finished.last5m - before.finished.last5m).toBe(2);
      expect(after.finished.last15m - before.finished.last15m).toBe(3);
    });

    it('computes p50 and p95 of every stage and of the whole, over the tasks ended within the window', async () => {
      // Stage durations in seconds; the window is 10 minutes and one task ended before it.
      await db.query(
        `INSERT INTO tasks (id, status, stage, spec, sources_total, dimensions_total, labels,
                            created_at, started_at, collected_at, evaluated_at, finished_at)
         SELECT gen_random_uuid(), 'completed', 'generate', '{}'::jsonb, 1, 1, $1::jsonb,
                t.finished - make_interval(secs => q + c + e + g), t.finished - make_interval(secs => c + e + g),
                t.finished - make_interval(secs => e + g), t.finished - make_interval(secs => g), t.finished
         FROM (VALUES (1, 2, 3, 4, interval '1 minute'), (2, 4, 6, 8, interval '2 minutes'),
                      (0.5, 1, 1.5, 2, interval '3 minutes'), (100, 100, 100, 100, interval '20 minutes'))
              AS v(q, c, e, g, ago)
         CROSS JOIN LATERAL (SELECT now() - v.ago AS finished) t`,
        [JSON.stringify({ run })],
      );
      const stats = await store.statistics(600);

      // The same figures computed here from the rows (linear interpolation, as percentile_cont does).
      const rows = await db.query<Record<string, number | null>[]>(
        `SELECT extract(epoch FROM started_at - created_at) * 1000 AS queued,
                extract(epoch FROM collected_at - started_at) * 1000 AS collect,
                extract(epoch FROM evaluated_at - collected_at) * 1000 AS evaluate,
                CASE WHEN status IN ('completed', 'completed_with_errors')
                     THEN extract(epoch FROM finished_at - evaluated_at) * 1000 END AS generate,
                extract(epoch FROM finished_at - created_at) * 1000 AS total
         FROM tasks WHERE finished_at > now() - interval '600 seconds'`,
      );
      for (const name of ['queued', 'collect', 'evaluate', 'generate', 'total'] as const) {
        const values = rows
          .map((row) => row[name])
          .filter((value): value is number => value !== null)
          .map(Number)
          .sort((a, b) => a - b);
        expect({ name, ...stats.durations[name] }).toEqual({
          name,
          count: values.length,
          p50Ms: Math.round(percentile(values, 0.5)),
          p95Ms: Math.round(percentile(values, 0.95)),
        });
      }
      expect(stats.durations.generate.count).toBeGreaterThanOrEqual(3);
    });

    it("counts one owner's tasks only when asked for an owner", async () => {
      const tasks = new TaskRepository(db);
      const owner = `carol-${run}`;
      await db.query(
        `INSERT INTO tasks (id, status, stage, spec, sources_total, dimensions_total, labels, owner,
                            created_at, started_at, finished_at)
         SELECT gen_random_uuid(), s.status, 'generate', '{}'::jsonb, 1, 1, $1::jsonb, $2, now() - interval '1 minute',
                now() - interval '1 minute', now() - s.ago
         FROM (VALUES ('completed', interval '10 seconds'), ('failed', interval '3 minutes'),
                      ('running', NULL)) AS s(status, ago)`,
        [JSON.stringify({ run }), owner],
      );
      expect(await tasks.countByStatus(owner)).toEqual({
        [TaskStatus.PENDING]: 0,
        [TaskStatus.RUNNING]: 1,
        [TaskStatus.COMPLETED]: 1,
        [TaskStatus.COMPLETED_WITH_ERRORS]: 0,
        [TaskStatus.FAILED]: 1,
        [TaskStatus.CANCELLED]: 0,
      });
      const stats = await store.statistics(3_600, owner);
      expect(stats.finished).toEqual({ last1m: 1, last5m: 2, last15m: 2 });
      expect(stats.durations.total.count).toBe(2);
      expect((await store.statistics(3_600, `nobody-${run}`)).durations.total.count).toBe(0);
    });

    it('answers null percentiles for a window in which nothing ended', async () => {
      // One second back: the rows above all ended earlier than that, and nothing else runs in this tier.
      const stats = await store.statistics(1);
      expect(stats.durations.total).toEqual({ count: 0, p50Ms: null, p95Ms: null });
    });
  });

  describe('result pages', () => {
    it("slices every dimension's passing records in Postgres, keeping the rest of the result", async () => {
      const [id] = await insertTasks(1, {});
      const records = (dimension: string, count: number) =>
        Array.from({ length: count }, (_, n) => ({ source_id: 's1', record_id: `${dimension}-${n}`, score: 0.9 }));
      const dimension = (id: string, passed: number) => ({
        dimension_id: id,
        name: id,
        threshold: 0.5,
        statistics: { count: 300, passed },
        passed_records: records(id, passed),
        summary: `summary of ${id}`,
      });
      const result = {
        dimensions: [dimension('a', 250), dimension('b', 0), dimension('c', 120)],
        passed_all_dimensions: 0,
        records_evaluated: 300,
        records_failed: 0,
        sources_failed: 0,
        generated_at: '2025-01-01T00:00:00.000Z',
      };
      await db.query('INSERT INTO task_results (task_id, result) VALUES ($1, $2::jsonb)', [id, JSON.stringify(result)]);

      const second = await store.resultPage(id, 100, 100);
      expect(second).toMatchObject({ records_evaluated: 300, generated_at: '2025-01-01T00:00:00.000Z' });
      expect(second?.dimensions.map((entry) => entry.dimension_id)).toEqual(['a', 'b', 'c']);
      expect(second?.dimensions.map((entry) => entry.passed_records_total)).toEqual([250, 0, 120]);
      expect(second?.dimensions[0].passed_records).toEqual(records('a', 250).slice(100, 200));
      expect(second?.dimensions[1].passed_records).toEqual([]);
      expect(second?.dimensions[2].passed_records).toEqual(records('c', 120).slice(100));
      expect(second?.dimensions[0]).toMatchObject({ summary: 'summary of a', statistics: { passed: 250 } });

      expect(await store.resultPage(randomUUID(), 0, 10)).toBeUndefined();
    });
  });
});

interface PlanNode {
  'Node Type': string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

function percentile(sorted: readonly number[], fraction: number): number {
  const at = (sorted.length - 1) * fraction;
  const low = Math.floor(at);
  const high = Math.ceil(at);
  return sorted[low] + (sorted[high] - sorted[low]) * (at - low);
}
