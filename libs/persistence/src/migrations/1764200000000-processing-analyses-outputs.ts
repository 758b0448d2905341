import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Processing chains, analysis kinds and outputs: what a chain dropped, each record's analyses and
 * dedupe key, an index that streams a task's records in collection order, and the delivery outbox.
 */
export class ProcessingAnalysesOutputs1764200000000 implements MigrationInterface {
  name = 'ProcessingAnalysesOutputs1764200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE tasks ADD COLUMN records_dropped int NOT NULL DEFAULT 0`);
    await queryRunner.query(`ALTER TABLE task_records ADD COLUMN analyses jsonb`);
    await queryRunner.query(`ALTER TABLE task_records ADD COLUMN dedupe_key varchar(64)`);
    // One record per dedupe key and task: an INSERT ... ON CONFLICT DO NOTHING drops the later duplicates.
    await queryRunner.query(
      `CREATE UNIQUE INDEX task_records_dedupe_idx ON task_records (task_id, dedupe_key) WHERE dedupe_key IS NOT NULL`,
    );
    await queryRunner.query(`CREATE INDEX task_records_order_idx ON task_records (task_id, source_id, position)`);

    await queryRunner.query(`
      CREATE TABLE deliveries (
        id uuid PRIMARY KEY,
        task_id uuid NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
        key varchar(64) NOT NULL,
        kind varchar(32) NOT NULL,
        spec jsonb NOT NULL,
        status varchar(16) NOT NULL DEFAULT 'pending',
        attempts int NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        lease_until timestamptz,
        last_error text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        delivered_at timestamptz,
        CONSTRAINT deliveries_task_key_unique UNIQUE (task_id, key),
        CONSTRAINT deliveries_status_check CHECK (status IN ('pending','delivering','delivered','failed'))
      )`);
    await queryRunner.query(
      `CREATE INDEX deliveries_due_idx ON deliveries (next_attempt_at) WHERE status IN ('pending','delivering')`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE IF EXISTS deliveries`);
    await queryRunner.query(`DROP INDEX IF EXISTS task_records_order_idx`);
    await queryRunner.query(`DROP INDEX IF EXISTS task_records_dedupe_idx`);
    await queryRunner.query(`ALTER TABLE task_records DROP COLUMN IF EXISTS dedupe_key`);
    await queryRunner.query(`ALTER TABLE task_records DROP COLUMN IF EXISTS analyses`);
    await queryRunner.query(`ALTER TABLE tasks DROP COLUMN IF EXISTS records_dropped`);
  }
}
