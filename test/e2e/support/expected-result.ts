import type { AnalysisOutput, CreateTaskDto } from '@app/contracts';
import { AnalysisKind, DEFAULT_TEMPERATURE } from '@app/contracts';
import { analysisKind, PromptBuilder, parseAnalysis } from '@app/llm';
import { DataSourceSimulator, InMemoryRequestWindow, LlmSimulator } from '@app/simulators';
import { readAll } from '../../support/collect';

export interface ExpectedRecord {
  key: string;
  scores: Record<string, number>;
  analyses: Record<string, AnalysisOutput>;
}

/**
 * What a task's result must contain, computed independently of the service: the simulators are
 * deterministic for a seed, so every record and every score is known in advance.
 */
export async function expectedRecords(
  task: CreateTaskDto,
  seed: number,
  recordsPerSource: number,
): Promise<ExpectedRecord[]> {
  const sources = new DataSourceSimulator({ seed, recordsPerSource, latencyMs: { min: 0, max: 0 }, failureRate: 0 });
  const llm = new LlmSimulator({
    seed,
    latencyMs: { min: 0, max: 0 },
    failureRate: 0,
    rejectRate: 0,
    requestsPerMinute: Number.MAX_SAFE_INTEGER,
    window: new InMemoryRequestWindow(),
  });
  const prompts = new PromptBuilder();
  const signal = new AbortController().signal;
  const expected: ExpectedRecord[] = [];
  for (const source of task.data_sources) {
    for (const record of await readAll(
      sources.read(
        {
          id: source.id,
          type: source.type,
          simulation: { records: source.simulation?.records, failureRate: 0, latencyMs: 0 },
        },
        signal,
      ),
    )) {
      const scores: Record<string, number> = {};
      const analyses: Record<string, AnalysisOutput> = {};
      for (const dimension of task.dimensions) {
        const kind = dimension.kind ?? AnalysisKind.SCORE;
        const params = { topK: dimension.top_k };
        const request = prompts.analyseRecord({
          model: task.llm_config?.model ?? '',
          temperature: task.llm_config?.temperature ?? DEFAULT_TEMPERATURE,
          dimension,
          kind,
          ...(dimension.top_k === undefined ? {} : { params }),
          record,
        });
        const output = parseAnalysis(kind, (await llm.complete(request, signal)).content, params);
        analyses[dimension.id] = output;
        const value = analysisKind(kind).value(output);
        if (value !== null) scores[dimension.id] = value;
      }
      expected.push({ key: `${source.id}/${record.id}`, scores, analyses });
    }
  }
  return expected;
}

/** Checks a finished task's result against the expectation: every record once, the right ones passing. */
export function assertResultMatches(task: CreateTaskDto, result: any, expected: readonly ExpectedRecord[]): void {
  expect(result.records_evaluated).toBe(expected.length);
  for (const dimension of task.dimensions) {
    const reported = result.dimensions.find((entry: any) => entry.dimension_id === dimension.id);
    const passedKeys = reported.passed_records.map((entry: any) => `${entry.source_id}/${entry.record_id}`);
    expect(new Set(passedKeys).size).toBe(passedKeys.length);
    const wanted = expected
      .filter((record) => record.scores[dimension.id] >= (dimension.threshold ?? 0))
      .map((record) => record.key);
    expect([...passedKeys].sort()).toEqual([...wanted].sort());
    expect(reported.statistics.count).toBe(expected.length);
    expect(reported.statistics.passed).toBe(wanted.length);
    for (const entry of reported.passed_records) {
      expect(entry.score).toBe(
        expected.find((record) => record.key === `${entry.source_id}/${entry.record_id}`)?.scores[dimension.id],
      );
    }
  }
  const passingAll = expected.filter((record) =>
    task.dimensions.every((dimension) => record.scores[dimension.id] >= (dimension.threshold ?? 0)),
  );
  expect(result.passed_all_dimensions).toBe(passingAll.length);
}
