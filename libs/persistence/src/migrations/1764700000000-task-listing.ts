import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What listing, statistics and retries need: labels to filter on, the task a retry copies, the end of
 * the collect and evaluate stages (stage durations), and indexes for keyset pages newest first, of all
 * tasks and of one owner's.
 */
export class TaskListing1764700000000 implements MigrationInterface {
  name = 'TaskListing1764700000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE tasks
        ADD COLUMN labels jsonb NOT NULL DEFAULT '{}',
        ADD COLUMN retry_of uuid REFERENCES tasks(id) ON DELETE SET NULL,
        ADD COLUMN collected_at timestamptz,
        ADD COLUMN evaluated_at timestamptz`);
    // Pages are (created_at, id) keysets, newest first; one index walk per page, whatever the depth.
    await queryRunner.query(`DROP INDEX tasks_created_at_idx`);
    await queryRunner.query(`CREATE INDEX tasks_created_at_idx ON tasks (created_at, id)`);
    // A status filter walks each status's own slice in order (one index range per status).
    await queryRunner.query(`CREATE INDEX tasks_status_created_at_idx ON tasks (status, created_at, id)`);
    // A key sees its own tasks only: the same two walks within its owner. The status one also serves
    // the per-key count of active tasks, which (owner, status) served before.
    await queryRunner.query(`CREATE INDEX tasks_owner_created_at_idx ON tasks (owner, created_at, id)`);
    await queryRunner.query(`CREATE INDEX tasks_owner_status_created_at_idx ON tasks (owner, status, created_at, id)`);
    await queryRunner.query(`DROP INDEX tasks_owner_status_idx`);
    await queryRunner.query(`CREATE INDEX tasks_labels_idx ON tasks USING gin (labels jsonb_path_ops)`);
    // Statistics read the tasks that finished within a window.
    await queryRunner.query(`CREATE INDEX tasks_finished_at_idx ON tasks (finished_at) WHERE finished_at IS NOT NULL`);
    await queryRunner.query(`CREATE INDEX tasks_retry_of_idx ON tasks (retry_of) WHERE retry_of IS NOT NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const index of [
      'tasks_retry_of_idx',
      'tasks_finished_at_idx',
      'tasks_labels_idx',
      'tasks_owner_status_created_at_idx',
      'tasks_owner_created_at_idx',
      'tasks_status_created_at_idx',
    ]) {
      await queryRunner.query(`DROP INDEX IF EXISTS ${index}`);
    }
    await queryRunner.query(`CREATE INDEX tasks_owner_status_idx ON tasks (owner, status)`);
    await queryRunner.query(`DROP INDEX tasks_created_at_idx`);
    await queryRunner.query(`CREATE INDEX tasks_created_at_idx ON tasks (created_at)`);
    await queryRunner.query(
      'ALTER TABLE tasks DROP COLUMN evaluated_at, DROP COLUMN collected_at, DROP COLUMN retry_of, DROP COLUMN labels',
    );
  }
}
