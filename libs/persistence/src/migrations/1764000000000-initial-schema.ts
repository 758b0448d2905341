import type { MigrationInterface, QueryRunner } from 'typeorm';

export class InitialSchema1764000000000 implements MigrationInterface {
  name = 'InitialSchema1764000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE tasks (
        id uuid PRIMARY KEY,
        status varchar(32) NOT NULL,
        stage varchar(16),
        spec jsonb NOT NULL,
        sources_total int NOT NULL,
        sources_collected int NOT NULL DEFAULT 0,
        sources_failed int NOT NULL DEFAULT 0,
        records_total int NOT NULL DEFAULT 0,
        records_evaluated int NOT NULL DEFAULT 0,
        records_failed int NOT NULL DEFAULT 0,
        dimensions_total int NOT NULL,
        dimensions_done int NOT NULL DEFAULT 0,
        chunks_total int,
        chunks_done int NOT NULL DEFAULT 0,
        error text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        started_at timestamptz,
        finished_at timestamptz,
        CONSTRAINT tasks_status_check CHECK (status IN ('pending','running','completed','completed_with_errors','failed','cancelled')),
        CONSTRAINT tasks_stage_check CHECK (stage IN ('collect','evaluate','generate'))
      )`);
    await queryRunner.query(`CREATE INDEX tasks_active_idx ON tasks (status, stage, updated_at)`);
    await queryRunner.query(`CREATE INDEX tasks_created_at_idx ON tasks (created_at)`);

    await queryRunner.query(`
      CREATE TABLE task_sources (
        task_id uuid NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
        source_id varchar(64) NOT NULL,
        outcome varchar(16) NOT NULL,
        records int NOT NULL,
        attempts int NOT NULL,
        duration_ms int NOT NULL,
        error text,
        finished_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (task_id, source_id)
      )`);

    await queryRunner.query(`
      CREATE TABLE task_records (
        task_id uuid NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
        source_id varchar(64) NOT NULL,
        record_id varchar(256) NOT NULL,
        position int NOT NULL,
        chunk int,
        content text NOT NULL,
        fields jsonb NOT NULL,
        status varchar(16) NOT NULL DEFAULT 'pending',
        scores jsonb,
        error text,
        evaluated_at timestamptz,
        PRIMARY KEY (task_id, source_id, record_id)
      )`);
    await queryRunner.query(`CREATE INDEX task_records_chunk_idx ON task_records (task_id, chunk)`);
    await queryRunner.query(`CREATE INDEX task_records_failed_idx ON task_records (task_id) WHERE status = 'failed'`);

    await queryRunner.query(`
      CREATE TABLE evaluation_chunks (
        task_id uuid NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
        chunk int NOT NULL,
        records_evaluated int NOT NULL,
        records_failed int NOT NULL,
        finished_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (task_id, chunk)
      )`);

    await queryRunner.query(`
      CREATE TABLE dimension_results (
        task_id uuid NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
        dimension_id varchar(64) NOT NULL,
        result jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (task_id, dimension_id)
      )`);

    await queryRunner.query(`
      CREATE TABLE task_results (
        task_id uuid PRIMARY KEY REFERENCES tasks(id) ON DELETE CASCADE,
        result jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of [
      'task_results',
      'dimension_results',
      'evaluation_chunks',
      'task_records',
      'task_sources',
      'tasks',
    ]) {
      await queryRunner.query(`DROP TABLE IF EXISTS ${table}`);
    }
  }
}
