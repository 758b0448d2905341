import { BadRequestException } from '@nestjs/common';
import type { CreateTaskDto } from '@app/contracts';
import { EXAMPLE_TASK } from '@app/contracts';
import { TaskRequestPipe } from './task-request.pipe';

function rejection(task: object): { fields: { field: string; reasons: string[] }[] } {
  try {
    new TaskRequestPipe().transform(task as CreateTaskDto);
  } catch (error) {
    expect(error).toBeInstanceOf(BadRequestException);
    return (error as BadRequestException).getResponse() as { fields: { field: string; reasons: string[] }[] };
  }
  throw new Error('expected a rejection');
}

describe(TaskRequestPipe.name, () => {
  it('passes a task with a valid chain and outputs through unchanged', () => {
    const task = {
      ...EXAMPLE_TASK,
      processing: { preset: 'standard', steps: [{ type: 'aggregate', field: 'n', ops: ['sum'] }] },
      outputs: [{ type: 'email', to: ['ops@example.com'] }],
    } as CreateTaskDto;
    expect(new TaskRequestPipe().transform(task)).toBe(task);
    expect(new TaskRequestPipe().transform(EXAMPLE_TASK)).toBe(EXAMPLE_TASK);
  });

  it('answers 400 naming the step index and field, and the output index and field, all at once', () => {
    const body = rejection({
      ...EXAMPLE_TASK,
      processing: {
        steps: [
          { type: 'validate', required: ['a'] },
          { type: 'transform', math: [{ op: 'mod', field: 'n', value: 2 }] },
        ],
      },
      outputs: [{ type: 'email', to: ['nobody'] }],
    });
    expect(body.fields).toEqual([
      {
        field: 'processing.steps[1].math[0].op',
        reasons: ['must be one of add, subtract, multiply, divide, power, round'],
      },
      { field: 'outputs[0].to[0]', reasons: ['must be an e-mail address'] },
    ]);
  });

  it('needs an llm_config for a chain with an LLM enrichment, even without dimensions', () => {
    const { llm_config: _omitted, ...withoutLlm } = EXAMPLE_TASK;
    const body = rejection({
      ...withoutLlm,
      dimensions: [],
      processing: { steps: [{ type: 'enrich', llm: { kind: 'topics', into: 'topics' } }] },
    });
    expect(body.fields).toEqual([
      { field: 'llm_config', reasons: ['is required when the processing chain has an LLM enrichment'] },
    ]);
  });
});
