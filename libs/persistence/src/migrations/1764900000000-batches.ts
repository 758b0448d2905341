import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Batches: a group of tasks submitted together, aggregated from its tasks' rows. A batch belongs to
 * the API key that submitted it, as its tasks do.
 */
export class Batches1764900000000 implements MigrationInterface {
  name = 'Batches1764900000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE batches (
        id uuid PRIMARY KEY,
        total int NOT NULL,
        owner varchar(64),
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    // A batch's tasks go with it; its position orders "the first errors" as the tasks were given.
    await queryRunner.query(`
      ALTER TABLE tasks
        ADD COLUMN batch_id uuid REFERENCES batches(id) ON DELETE CASCADE,
        ADD COLUMN batch_index int`);
    await queryRunner.query(
      'CREATE INDEX tasks_batch_created_at_idx ON tasks (batch_id, created_at, id) WHERE batch_id IS NOT NULL',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX IF EXISTS tasks_batch_created_at_idx');
    await queryRunner.query('ALTER TABLE tasks DROP COLUMN batch_index, DROP COLUMN batch_id');
    await queryRunner.query('DROP TABLE batches');
  }
}
