import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What the LLM cost a task, per dimension (its record calls and its summary) and per LLM enrichment of
 * the chain (`enrich <field>`).
 */
export class TaskUsage1765100000000 implements MigrationInterface {
  name = 'TaskUsage1765100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE task_usage (
        task_id uuid NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
        dimension_id varchar(160) NOT NULL,
        prompt_tokens bigint NOT NULL DEFAULT 0,
        completion_tokens bigint NOT NULL DEFAULT 0,
        calls int NOT NULL DEFAULT 0,
        cache_hits int NOT NULL DEFAULT 0,
        PRIMARY KEY (task_id, dimension_id)
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE task_usage');
  }
}
