import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A task changes stage three times (queued, collected, evaluated), and tasks_active_idx (status, stage)
 * was the only index with `stage` in it: each of those updates wrote a new entry into every index of
 * `tasks` instead of a HOT update on the row's page (44 % of the row's updates were HOT; 74 % without
 * it, ADR 28). Its readers do as well without it: counting by status reads
 * tasks_status_created_at_idx, and the recovery sweep's scan of one stage's idle tasks reads the
 * active tasks of every stage, once a minute.
 */
export class StageChangesInPlace1765300000000 implements MigrationInterface {
  name = 'StageChangesInPlace1765300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX tasks_active_idx');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('CREATE INDEX tasks_active_idx ON tasks (status, stage)');
  }
}
