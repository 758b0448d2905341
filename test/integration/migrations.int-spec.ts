import { randomUUID } from 'crypto';
import type { MigrationInterface } from 'typeorm';
import { DataSource } from 'typeorm';
import { appOptions } from '@app/config';
import { dataSourceOptions, runMigrations } from '@app/persistence';
import { MIGRATIONS } from '../../libs/persistence/src/migrations';
import { InitialSchema1764000000000 } from '../../libs/persistence/src/migrations/1764000000000-initial-schema';
import { TaskSpecDomainShape1764100000000 } from '../../libs/persistence/src/migrations/1764100000000-task-spec-domain-shape';
import { ensureTestDatabase, openTestDataSource, testDatabaseSettings } from '../support/database';

/** Migrations that change rows, checked on a scratch database of their own. */
describe('migrations', () => {
  const settings = testDatabaseSettings();
  const scratch = `${settings.DATABASE_NAME}_data_migrations_${process.pid}`.slice(0, 63);
  let admin: DataSource;

  const open = (migrations: (new () => MigrationInterface)[]) =>
    new DataSource({
      ...dataSourceOptions({ ...appOptions(settings).database, database: scratch, poolSize: 2 }),
      migrations,
    }).initialize();

  beforeAll(async () => {
    admin = await openTestDataSource({ poolSize: 1 });
    await admin.query(`DROP DATABASE IF EXISTS "${scratch}" WITH (FORCE)`);
    await ensureTestDatabase({ ...settings, DATABASE_NAME: scratch });
  });

  afterAll(async () => {
    await admin.query(`DROP DATABASE IF EXISTS "${scratch}" WITH (FORCE)`);
    await admin.destroy();
  });

  describe(TaskSpecDomainShape1764100000000.name, () => {
    // A task stored before: the request as it came, with every optional field somewhere.
    const stored = {
      data_sources: [
        { id: 'db1', type: 'database', connection: '...' },
        { id: 'api1', type: 'api', url: 'u', simulation: { records: 3, failure_rate: 0.5, latency_ms: 10 } },
        { id: 'api2', type: 'api', url: 'v', simulation: { records: 0 } },
      ],
      llm_config: { model: 'gpt-3.5-turbo', temperature: 0.2 },
      dimensions: [{ id: 'dim1', name: 'Quality', threshold: 0.6, description: 'd' }],
    };
    const spec = {
      sources: [
        { id: 'db1', type: 'database', connection: '...' },
        { id: 'api1', type: 'api', url: 'u', simulation: { records: 3, failureRate: 0.5, latencyMs: 10 } },
        { id: 'api2', type: 'api', url: 'v', simulation: { records: 0 } },
      ],
      llm: { model: 'gpt-3.5-turbo', temperature: 0.2 },
      dimensions: [{ id: 'dim1', name: 'Quality', threshold: 0.6, description: 'd' }],
    };

    it('rewrites a stored request into the TaskSpec shape, and back on revert', async () => {
      const id = randomUUID();
      const before = await open([InitialSchema1764000000000]);
      try {
        await runMigrations(before);
        await before.query(
          `INSERT INTO tasks (id, status, stage, spec, sources_total, dimensions_total)
           VALUES ($1, 'pending', 'collect', $2::jsonb, 3, 1)`,
          [id, JSON.stringify(stored)],
        );
      } finally {
        await before.destroy();
      }

      // Up to this migration, so that undoing the last one undoes this one (later ones may follow).
      const db = await open(MIGRATIONS.slice(0, MIGRATIONS.indexOf(TaskSpecDomainShape1764100000000) + 1));
      const specOf = async () =>
        (await db.query<{ spec: unknown }[]>('SELECT spec FROM tasks WHERE id = $1', [id]))[0].spec;
      try {
        await runMigrations(db);
        expect(await specOf()).toEqual(spec);
        await runMigrations(db);
        expect(await specOf()).toEqual(spec);

        await db.undoLastMigration();
        expect(await specOf()).toEqual(stored);
      } finally {
        await db.destroy();
      }
    });
  });
});
