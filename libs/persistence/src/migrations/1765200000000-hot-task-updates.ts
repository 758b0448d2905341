import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A task's row is updated about ten times in its life, mostly counters and `updated_at`. With
 * `updated_at` in tasks_active_idx and full pages, none of those updates was HOT: each wrote a new
 * entry into all twelve indexes of `tasks` (ADR 18). The active index now leaves `updated_at` out (the
 * recovery sweep sorts a stage's active tasks by it, a few thousand rows a minute) and pages keep room
 * for the new row versions. The failed-records index is ordered as the task's failures are shown, so
 * the first page of them is read from it instead of sorting every failure of a big task.
 */
export class HotTaskUpdates1765200000000 implements MigrationInterface {
  name = 'HotTaskUpdates1765200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX tasks_active_idx');
    await queryRunner.query('CREATE INDEX tasks_active_idx ON tasks (status, stage)');
    await queryRunner.query('ALTER TABLE tasks SET (fillfactor = 70)');
    await queryRunner.query('DROP INDEX task_records_failed_idx');
    await queryRunner.query(
      `CREATE INDEX task_records_failed_idx ON task_records (task_id, source_id, position) WHERE status = 'failed'`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX task_records_failed_idx');
    await queryRunner.query(`CREATE INDEX task_records_failed_idx ON task_records (task_id) WHERE status = 'failed'`);
    await queryRunner.query('ALTER TABLE tasks RESET (fillfactor)');
    await queryRunner.query('DROP INDEX tasks_active_idx');
    await queryRunner.query('CREATE INDEX tasks_active_idx ON tasks (status, stage, updated_at)');
  }
}
