import type { ScoreRecordInput, SummarizeDimensionInput } from './prompt-builder';
import { MAX_SUMMARY_SAMPLES, PromptBuilder } from './prompt-builder';

describe(PromptBuilder.name, () => {
  const builder = new PromptBuilder();
  const dimension = { id: 'dim1', name: '质量评估', threshold: 0.6, description: 'How complete the record is' };
  const scoreInput: ScoreRecordInput = {
    model: 'gpt-3.5-turbo',
    temperature: 0.7,
    dimension,
    record: { id: 'api1-1', content: 'Order delayed 数据', fields: { category: 'news', value: 12.5 } },
  };

  it('asks for a JSON score about the dimension and the record', () => {
    const request = builder.scoreRecord(scoreInput);
    expect(request).toMatchObject({ model: 'gpt-3.5-turbo', temperature: 0.7, response: 'score' });
    const [system, user] = request.messages;
    expect(system.role).toBe('system');
    expect(system.content).toContain('{"score"');
    expect(user.role).toBe('user');
    expect(user.content).toContain('Dimension: 质量评估');
    expect(user.content).toContain('Description: How complete the record is');
    expect(user.content).toContain(
      JSON.stringify({ content: scoreInput.record.content, fields: scoreInput.record.fields }),
    );
  });

  it('builds equal requests for equal inputs and different ones per dimension', () => {
    expect(builder.scoreRecord(scoreInput)).toEqual(new PromptBuilder().scoreRecord({ ...scoreInput }));
    const other = builder.scoreRecord({ ...scoreInput, dimension: { ...dimension, name: '相关性分析' } });
    expect(other.messages[1].content).not.toBe(builder.scoreRecord(scoreInput).messages[1].content);
  });

  it('falls back to the name when the dimension has no description', () => {
    const { description: _omitted, ...bare } = dimension;
    expect(builder.scoreRecord({ ...scoreInput, dimension: bare }).messages[1].content).toContain(
      'Description: (none given',
    );
  });

  it('asks for a text summary listing the statistics and at most 10 samples', () => {
    const input: SummarizeDimensionInput = {
      model: 'gpt-4',
      temperature: 0.2,
      dimension,
      statistics: { count: 25, mean: 0.51, pass_rate: 0.4 },
      samples: Array.from({ length: 25 }, (_, i) => ({ record_id: `r${i}`, score: i / 25 })),
    };
    const request = builder.summarizeDimension(input);
    expect(request).toMatchObject({ model: 'gpt-4', temperature: 0.2, response: 'text' });
    const user = request.messages[1].content;
    expect(user).toContain('- count: 25');
    expect(user).toContain('- mean: 0.51');
    expect(user).toContain('- pass_rate: 0.4');
    expect(user).toContain('Pass threshold: 0.6');
    expect(user.match(/^- r\d+: /gm)).toHaveLength(MAX_SUMMARY_SAMPLES);
    expect(user).toContain('- r9: 0.36');
    expect(user).not.toContain('- r10:');
  });
});
