import type { DataSource, EntityManager } from 'typeorm';
import { TaskEntity, TaskRepository } from '@app/persistence';
import { openTestDataSource } from '../support/database';

/** The statements prepared on the connection that runs `work` (a transaction holds one connection). */
async function preparedDuring(db: DataSource, work: (manager: EntityManager) => Promise<unknown>) {
  return db.transaction(async (manager) => {
    await work(manager);
    const rows: { statement: string }[] = await manager.query('SELECT statement FROM pg_prepared_statements');
    return rows.map((row) => row.statement.replace(/\s+/g, ' ').trim());
  });
}

describe('prepared statements (DATABASE_PREPARED_STATEMENTS)', () => {
  let prepared: DataSource;
  let plain: DataSource;

  beforeAll(async () => {
    // One connection each, so that every query below runs on the connection it inspects.
    prepared = await openTestDataSource({ poolSize: 1 });
    plain = await openTestDataSource({ poolSize: 1, preparedStatements: false });
  });

  afterAll(async () => {
    await Promise.all([prepared.destroy(), plain.destroy()]);
  });

  it('prepares a parameterised statement once per connection and answers it as before', async () => {
    const statements = await preparedDuring(prepared, async (manager) => {
      for (const value of [1, 2, 3]) {
        await expect(manager.query('SELECT $1::int + 40 AS answer', [value])).resolves.toEqual([
          { answer: value + 40 },
        ]);
      }
    });
    expect(statements.filter((statement) => statement === 'SELECT $1::int + 40 AS answer')).toHaveLength(1);
  });

  it("prepares the query builder's statements too, and leaves statements without parameters alone", async () => {
    const statements = await preparedDuring(prepared, async (manager) => {
      await manager.getRepository(TaskEntity).findOneBy({ id: '00000000-0000-4000-8000-000000000000' });
      await manager.query('SELECT 7 AS seven');
    });
    expect(statements.some((statement) => statement.startsWith('SELECT "TaskEntity"."id"'))).toBe(true);
    expect(statements).not.toContain('SELECT 7 AS seven');
  });

  it("prepares the stores' statements outside a transaction too (they go straight to node-postgres's pool)", async () => {
    // One connection: the statement below runs on the connection that is then inspected.
    await expect(new TaskRepository(prepared).findById('00000000-0000-4000-8000-000000000000')).resolves.toBeNull();
    const rows: { statement: string }[] = await prepared.query('SELECT statement FROM pg_prepared_statements');
    const statements = rows.map((row) => row.statement);
    expect(
      statements.filter((statement) => /^SELECT id AS "id", .* FROM tasks WHERE id = \$1$/s.test(statement)),
    ).toHaveLength(1);
  });

  it('reports a failing statement as before, and the connection goes on working', async () => {
    await expect(prepared.query('SELECT $1::int / 0', [1])).rejects.toThrow('division by zero');
    await expect(prepared.query('SELECT $1::int / 0', [1])).rejects.toThrow('division by zero');
    await expect(prepared.query('SELECT $1::int AS one', [1])).resolves.toEqual([{ one: 1 }]);
  });

  it('prepares nothing when turned off', async () => {
    const statements = await preparedDuring(plain, (manager) => manager.query('SELECT $1::int AS one', [1]));
    expect(statements).toEqual([]);
  });
});
