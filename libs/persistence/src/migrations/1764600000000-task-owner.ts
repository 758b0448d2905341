import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A task belongs to the API key that created it (its name; null when the API was open). Indexed with
 * the status for the per-key cap on active tasks and for a key's own listings.
 */
export class TaskOwner1764600000000 implements MigrationInterface {
  name = 'TaskOwner1764600000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE tasks ADD COLUMN owner varchar(64)');
    await queryRunner.query('CREATE INDEX tasks_owner_status_idx ON tasks (owner, status)');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX tasks_owner_status_idx');
    await queryRunner.query('ALTER TABLE tasks DROP COLUMN owner');
  }
}
