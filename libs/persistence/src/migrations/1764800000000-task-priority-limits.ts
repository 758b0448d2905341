import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A task's priority (carried into its jobs) and its time limits: the limits in seconds as the task
 * was accepted, the deadlines they give once it starts, and when the soft one was reached.
 */
export class TaskPriorityLimits1764800000000 implements MigrationInterface {
  name = 'TaskPriorityLimits1764800000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE tasks
        ADD COLUMN priority varchar(8) NOT NULL DEFAULT 'normal',
        ADD COLUMN soft_limit_s int NOT NULL DEFAULT 3300,
        ADD COLUMN hard_limit_s int NOT NULL DEFAULT 3600,
        ADD COLUMN soft_deadline_at timestamptz,
        ADD COLUMN hard_deadline_at timestamptz,
        ADD COLUMN soft_limited_at timestamptz,
        ADD CONSTRAINT tasks_priority_check CHECK (priority IN ('high','normal','low')),
        ADD CONSTRAINT tasks_limits_check CHECK (soft_limit_s > 0 AND soft_limit_s <= hard_limit_s)`);
    // The deadline sweep reads only running tasks, by deadline.
    await queryRunner.query(
      `CREATE INDEX tasks_hard_deadline_idx ON tasks (hard_deadline_at) WHERE status = 'running'`,
    );
    await queryRunner.query(
      `CREATE INDEX tasks_soft_deadline_idx ON tasks (soft_deadline_at) WHERE status = 'running' AND soft_limited_at IS NULL`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX IF EXISTS tasks_soft_deadline_idx');
    await queryRunner.query('DROP INDEX IF EXISTS tasks_hard_deadline_idx');
    await queryRunner.query(`
      ALTER TABLE tasks DROP CONSTRAINT tasks_limits_check, DROP CONSTRAINT tasks_priority_check,
        DROP COLUMN soft_limited_at, DROP COLUMN hard_deadline_at, DROP COLUMN soft_deadline_at,
        DROP COLUMN hard_limit_s, DROP COLUMN soft_limit_s, DROP COLUMN priority`);
  }
}
