import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Tasks store their TaskSpec, no longer the request as it came (CreateTaskDto): `data_sources` becomes
 * `sources`, `llm_config` becomes `llm`, and a source's simulation knobs `failure_rate` / `latency_ms`
 * become `failureRate` / `latencyMs`. Rows stored before are rewritten; `down` writes them back.
 */
export class TaskSpecDomainShape1764100000000 implements MigrationInterface {
  name = 'TaskSpecDomainShape1764100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      rewriteSpecs({ sources: ['data_sources', 'sources'], llm: ['llm_config', 'llm'] }, FORWARD),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      rewriteSpecs({ sources: ['sources', 'data_sources'], llm: ['llm', 'llm_config'] }, BACKWARD),
    );
  }
}

/** Simulation knob names: [old, new]. */
const SIMULATION_FIELDS: [string, string][] = [
  ['records', 'records'],
  ['failure_rate', 'failureRate'],
  ['latency_ms', 'latencyMs'],
];
const FORWARD = SIMULATION_FIELDS;
const BACKWARD = SIMULATION_FIELDS.map(([from, to]): [string, string] => [to, from]);

function rewriteSpecs(
  names: { sources: [string, string]; llm: [string, string] },
  simulation: [string, string][],
): string {
  const [sourcesFrom, sourcesTo] = names.sources;
  const [llmFrom, llmTo] = names.llm;
  const knobs = simulation.map(([from, to]) => `'${to}', source->'simulation'->'${from}'`).join(', ');
  return `
    UPDATE tasks SET spec = (spec - '${sourcesFrom}' - '${llmFrom}') || jsonb_build_object(
      '${sourcesTo}', COALESCE((
        SELECT jsonb_agg(
          (source - 'simulation') || CASE WHEN source ? 'simulation'
            THEN jsonb_build_object('simulation', jsonb_strip_nulls(jsonb_build_object(${knobs})))
            ELSE '{}'::jsonb END
          ORDER BY position)
        FROM jsonb_array_elements(spec->'${sourcesFrom}') WITH ORDINALITY AS s(source, position)
      ), '[]'::jsonb),
      '${llmTo}', spec->'${llmFrom}')
    WHERE spec ? '${sourcesFrom}'`;
}
