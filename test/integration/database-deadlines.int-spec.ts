import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { withDeadline } from '@app/common';
import type { TaskSpec } from '@app/contracts';
import { DataSourceType } from '@app/contracts';
import { runMigrations, TaskRepository } from '@app/persistence';
import { deleteTasks, openTestDataSource, testDatabaseSettings } from '../support/database';

const SPEC: TaskSpec = {
  sources: [{ id: 's1', type: DataSourceType.API, url: 'https://example.test/s1' }],
  llm: { model: 'test-model', temperature: 0 },
  dimensions: [{ id: 'dim1', name: 'quality', threshold: 0.6 }],
};

/**
 * The Postgres deadlines of every app: a wait for a row lock, an idle transaction and a wait for a
 * pooled connection each end in an error the caller (a Bull job) retries, instead of a hang; and a
 * pool of one connection still migrates at start.
 */
describe('database deadlines', () => {
  const settings = testDatabaseSettings();
  const opened: DataSource[] = [];
  const ids: string[] = [];
  let admin: DataSource;

  const open = async (overrides: Parameters<typeof openTestDataSource>[0]): Promise<DataSource> => {
    const dataSource = await openTestDataSource(overrides);
    opened.push(dataSource);
    return dataSource;
  };

  beforeAll(async () => {
    admin = await open({ poolSize: 2 });
  });

  afterAll(async () => {
    await deleteTasks(admin, ids);
    await Promise.all(opened.map((dataSource) => dataSource.destroy()));
  });

  it('migrates with a pool of one connection (the advisory lock is held outside the pool)', async () => {
    const single = await open({ poolSize: 1 });
    await expect(withDeadline(runMigrations(single), 15_000)).resolves.toBeUndefined();
  }, 20_000);

  it('gives up waiting for a held row lock after the lock timeout, and succeeds when retried', async () => {
    const db = await open({ lockTimeoutMs: 300 });
    const tasks = new TaskRepository(db);
    const id = randomUUID();
    ids.push(id);
    await tasks.create({ id, spec: SPEC, limits: { softSeconds: 3300, hardSeconds: 3600 } });

    // Another worker holds the task's row lock and does not let go (cut off mid-transaction).
    const holder = new Client({
      host: settings.DATABASE_HOST,
      port: settings.DATABASE_PORT,
      user: settings.DATABASE_USER,
      password: settings.DATABASE_PASSWORD,
      database: settings.DATABASE_NAME,
    });
    await holder.connect();
    await holder.query('BEGIN');
    await holder.query('SELECT id FROM tasks WHERE id = $1 FOR UPDATE', [id]);

    await expect(withDeadline(tasks.cancel(id), 10_000)).rejects.toMatchObject({ code: '55P03' });

    await holder.query('ROLLBACK');
    await holder.end();
    await expect(tasks.cancel(id)).resolves.toMatchObject({ kind: 'cancelled' });
  }, 20_000);

  it('ends a transaction left idle, which frees its locks', async () => {
    const db = await open({ idleInTransactionTimeoutMs: 300 });
    const runner = db.createQueryRunner();
    await runner.connect();
    await runner.startTransaction();
    await runner.query('SELECT 1');
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await expect(runner.query('SELECT 1')).rejects.toThrow();
    await runner.release();
  }, 20_000);

  it('fails a query that cannot get a pooled connection in time', async () => {
    const db = await open({ poolSize: 1, acquireTimeoutMs: 300 });
    const runner = db.createQueryRunner();
    await runner.connect();
    await expect(withDeadline(db.query('SELECT 1'), 10_000)).rejects.toThrow(/timeout/i);
    await runner.release();
    await expect(db.query('SELECT 1 AS one')).resolves.toEqual([{ one: 1 }]);
  }, 20_000);

  it('stops a statement that runs past the statement timeout', async () => {
    const db = await open({ statementTimeoutMs: 300 });
    await expect(db.query('SELECT pg_sleep(5)')).rejects.toMatchObject({ code: '57014' });
  }, 20_000);
});
