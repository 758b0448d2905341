import type { DataSource } from 'typeorm';
import { openTestDataSource } from '../support/database';

/**
 * The TypeORM entities and the migrations describe the same schema: a migration generated against the
 * migrated test database (what `typeorm migration:generate` would write) comes out empty. An entity
 * changed without a migration, or a migration that drifts from the entities, fails here with the SQL
 * that would close the gap.
 */
describe('entities and migrations', () => {
  let db: DataSource;

  beforeAll(async () => {
    db = await openTestDataSource({ poolSize: 2 });
  });

  afterAll(async () => {
    await db.destroy();
  });

  it('describe the same schema: a generated migration is empty', async () => {
    const { upQueries, downQueries } = await db.driver.createSchemaBuilder().log();

    expect(upQueries.map((query) => query.query)).toEqual([]);
    expect(downQueries.map((query) => query.query)).toEqual([]);
  });
});
