import { BadRequestException } from '@nestjs/common';
import { ValidationError } from 'class-validator';
import { CreateBatchDto, CreateTaskDto, EXAMPLE_TASK, LIMITS } from '@app/contracts';
import type { FieldError } from '@app/contracts';
import type { MetadataStorage } from 'class-validator';
import { cacheValidationRules, RequestValidationPipe, toFieldErrors, unstorableTextFields } from './validation';

// As in the gateway (main.ts): every validation below runs on the cached rules.
cacheValidationRules();

function validationError(
  property: string,
  constraints?: Record<string, string>,
  children: ValidationError[] = [],
): ValidationError {
  return Object.assign(new ValidationError(), { property, constraints, children });
}

describe(toFieldErrors.name, () => {
  it('names a top-level property by its name, with its reasons', () => {
    const errors = [validationError('name', { minLength: 'name is too short', matches: 'name is malformed' })];
    expect(toFieldErrors(errors)).toEqual([{ field: 'name', reasons: ['name is too short', 'name is malformed'] }]);
  });

  it('names array elements with [index] and nested properties with a dot', () => {
    const errors = [
      validationError('data_sources', undefined, [
        validationError('0', undefined, [validationError('id', { matches: 'id is malformed' })]),
        validationError('2', undefined, [
          validationError('simulation', undefined, [
            validationError('records', { min: 'records must not be less than 0' }),
          ]),
        ]),
      ]),
      validationError('llm_config', undefined, [validationError('model', { isString: 'model must be a string' })]),
    ];

    expect(toFieldErrors(errors)).toEqual<FieldError[]>([
      { field: 'data_sources[0].id', reasons: ['id is malformed'] },
      { field: 'data_sources[2].simulation.records', reasons: ['records must not be less than 0'] },
      { field: 'llm_config.model', reasons: ['model must be a string'] },
    ]);
  });

  it('keeps the own error of a parent next to the errors of its children', () => {
    const errors = [
      validationError('data_sources', { arrayUnique: 'data_sources must have unique ids' }, [
        validationError('1', { nestedValidation: 'each value must be an object' }),
      ]),
    ];

    expect(toFieldErrors(errors)).toEqual([
      { field: 'data_sources', reasons: ['data_sources must have unique ids'] },
      { field: 'data_sources[1]', reasons: ['each value must be an object'] },
    ]);
  });

  it('handles arrays of arrays and a parent path given by the caller', () => {
    const errors = [
      validationError('matrix', undefined, [
        validationError('0', undefined, [validationError('3', { isInt: 'must be an integer' })]),
      ]),
    ];
    expect(toFieldErrors(errors)).toEqual([{ field: 'matrix[0][3]', reasons: ['must be an integer'] }]);
    expect(toFieldErrors([validationError('x', { a: 'bad' })], 'root')).toEqual([
      { field: 'root.x', reasons: ['bad'] },
    ]);
  });

  it('returns nothing for no errors', () => {
    expect(toFieldErrors([])).toEqual([]);
  });
});

interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  fields?: FieldError[];
}

/** A deep copy of the design card's example, as a JSON body would arrive. */
function example(): Record<string, any> {
  return JSON.parse(JSON.stringify(EXAMPLE_TASK));
}

async function rejectionOf(value: unknown): Promise<ErrorBody> {
  const pipe = new RequestValidationPipe();
  try {
    await pipe.transform(value, { type: 'body', metatype: CreateTaskDto });
  } catch (error) {
    expect(error).toBeInstanceOf(BadRequestException);
    return (error as BadRequestException).getResponse() as ErrorBody;
  }
  throw new Error('expected the body to be rejected');
}

function fieldNames(body: ErrorBody): string[] {
  return (body.fields ?? []).map((entry) => entry.field);
}

describe(RequestValidationPipe.name, () => {
  it("accepts the design card's example and returns a CreateTaskDto", async () => {
    const result = await new RequestValidationPipe().transform(example(), { type: 'body', metatype: CreateTaskDto });

    expect(result).toBeInstanceOf(CreateTaskDto);
    expect(JSON.parse(JSON.stringify(result))).toEqual(EXAMPLE_TASK);
  });

  it('accepts labels, a priority and time limits', async () => {
    const task = {
      ...example(),
      labels: { team: 'search' },
      priority: 'high',
      limits: { soft_seconds: 5, hard_seconds: 9 },
    };
    const result = await new RequestValidationPipe().transform(task, { type: 'body', metatype: CreateTaskDto });
    expect(JSON.parse(JSON.stringify(result))).toEqual(task);
  });

  it.each([
    [{ priority: 'urgent' }, 'priority'],
    [{ limits: { hard_seconds: 0 } }, 'limits.hard_seconds'],
    [{ limits: { soft_seconds: 1.5 } }, 'limits.soft_seconds'],
    [{ limits: { minutes: 1 } }, 'limits.minutes'],
    [{ labels: { 'bad key': 'x' } }, 'labels'],
    [{ labels: { team: 7 } }, 'labels'],
    [{ labels: ['team'] }, 'labels'],
  ])('rejects %p naming %s', async (fields, field) => {
    expect(fieldNames(await rejectionOf({ ...example(), ...fields }))).toEqual([field]);
  });

  it('names the index and the field of a bad task in a batch', async () => {
    const bad = { ...example(), dimensions: [{ id: 'd', name: 'n', threshold: 2 }] };
    const error = await new RequestValidationPipe()
      .transform({ tasks: [example(), bad] }, { type: 'body', metatype: CreateBatchDto })
      .catch((caught: unknown) => caught);
    expect(((error as BadRequestException).getResponse() as ErrorBody).fields?.map((entry) => entry.field)).toEqual([
      'tasks[1].dimensions[0].threshold',
    ]);
  });

  it('rejects an unknown field and names it', async () => {
    const body = await rejectionOf({ ...example(), colour: 'blue' });

    expect(body.statusCode).toBe(400);
    expect(body.error).toBe('Bad Request');
    expect(fieldNames(body)).toEqual(['colour']);
    expect(body.message).toContain('colour');
  });

  it('rejects an unknown field inside a nested object with its full path', async () => {
    const task = example();
    task.data_sources[1].headers = { a: 1 };
    const body = await rejectionOf(task);
    expect(fieldNames(body)).toEqual(['data_sources[1].headers']);
  });

  it('rejects a threshold above 1 and names dimensions[0].threshold', async () => {
    const task = example();
    task.dimensions[0].threshold = 1.5;

    const body = await rejectionOf(task);

    expect(fieldNames(body)).toEqual(['dimensions[0].threshold']);
    expect(body.fields?.[0].reasons).toEqual(['threshold must not be greater than 1']);
    expect(body.message).toBe('Validation failed: dimensions[0].threshold: threshold must not be greater than 1');
  });

  it('rejects a threshold given as a string ("0.6") and names dimensions[0].threshold', async () => {
    const task = example();
    task.dimensions[0].threshold = '0.6';

    const body = await rejectionOf(task);

    expect(fieldNames(body)).toEqual(['dimensions[0].threshold']);
    // the reason is the type, not a range check that merely restates it
    expect(body.fields?.[0].reasons).toHaveLength(1);
    expect(body.fields?.[0].reasons[0]).toMatch(/^threshold must be a number/);
  });

  it('says "must be an array" for dimensions given as a string, not that its ids are not unique', async () => {
    const task = example();
    task.dimensions = 'dim1';
    const body = await rejectionOf(task);
    expect(body.fields).toEqual([{ field: 'dimensions', reasons: ['dimensions must be an array'] }]);
  });

  it('rejects a negative threshold naming the dimension by index', async () => {
    const task = example();
    task.dimensions[1].threshold = -0.1;
    const body = await rejectionOf(task);
    expect(body.fields).toEqual([{ field: 'dimensions[1].threshold', reasons: ['threshold must not be less than 0'] }]);
  });

  it('accepts the inclusive bounds 0 and 1 of a threshold', async () => {
    const task = example();
    task.dimensions[0].threshold = 0;
    task.dimensions[1].threshold = 1;
    await expect(
      new RequestValidationPipe().transform(task, { type: 'body', metatype: CreateTaskDto }),
    ).resolves.toBeInstanceOf(CreateTaskDto);
  });

  it('rejects duplicate source ids', async () => {
    const task = example();
    task.data_sources[1].id = task.data_sources[0].id;

    const body = await rejectionOf(task);

    expect(body.fields).toEqual([{ field: 'data_sources', reasons: ['data_sources must have unique ids'] }]);
  });

  it('rejects duplicate dimension ids', async () => {
    const task = example();
    task.dimensions[1].id = 'dim1';
    const body = await rejectionOf(task);
    expect(body.fields).toEqual([{ field: 'dimensions', reasons: ['dimensions must have unique ids'] }]);
  });

  it('rejects a source of type "database" without a connection', async () => {
    const task = example();
    delete task.data_sources[0].connection;

    const body = await rejectionOf(task);

    expect(body.fields).toEqual([{ field: 'data_sources[0].connection', reasons: ['connection must be a string'] }]);
  });

  it('accepts a source of type "api" without a connection, but not without a url', async () => {
    const task = example();
    delete task.data_sources[1].url;
    const body = await rejectionOf(task);
    expect(fieldNames(body)).toEqual(['data_sources[1].url']);
  });

  it('rejects an unknown source type naming the field', async () => {
    const task = example();
    task.data_sources[1].type = 'ftp';
    const body = await rejectionOf(task);
    expect(fieldNames(body)).toEqual(['data_sources[1].type']);
    expect(body.fields?.[0].reasons[0]).toContain('database, api');
  });

  it.each([
    ['an array', [example()]],
    ['null', null],
    ['a string', 'hello'],
    ['a number', 42],
  ])('rejects %s as body: it must be a JSON object', async (_label, value) => {
    const body = await rejectionOf(value);
    expect(body).toEqual({ statusCode: 400, error: 'Bad Request', message: 'The request body must be a JSON object' });
  });

  it(`rejects more than ${LIMITS.sources} sources`, async () => {
    const task = example();
    task.data_sources = Array.from({ length: LIMITS.sources + 1 }, (_, i) => ({
      id: `api${i}`,
      type: 'api',
      url: 'https://x.test',
    }));

    const body = await rejectionOf(task);

    expect(body.fields).toEqual([
      { field: 'data_sources', reasons: [`data_sources must contain no more than ${LIMITS.sources} elements`] },
    ]);
  });

  it(`accepts exactly ${LIMITS.sources} sources`, async () => {
    const task = example();
    task.data_sources = Array.from({ length: LIMITS.sources }, (_, i) => ({
      id: `api${i}`,
      type: 'api',
      url: 'https://x.test',
    }));
    await expect(
      new RequestValidationPipe().transform(task, { type: 'body', metatype: CreateTaskDto }),
    ).resolves.toBeInstanceOf(CreateTaskDto);
  });

  it('names every missing top-level field of an empty object, one reason each', async () => {
    const body = await rejectionOf({});
    // Without dimensions a task is a pure processing task: it needs neither dimensions nor an llm_config.
    expect(fieldNames(body)).toEqual(['data_sources']);
    for (const entry of body.fields ?? []) expect(entry.reasons).toHaveLength(1);
  });

  it('lists several offending fields in one answer', async () => {
    const task = example();
    task.llm_config.temperature = 3;
    task.data_sources[0].simulation = { failure_rate: 2 };
    const body = await rejectionOf(task);
    expect(fieldNames(body).sort()).toEqual(['data_sources[0].simulation.failure_rate', 'llm_config.temperature']);
    expect(body.message).toMatch(/^Validation failed: /);
    expect(body.message).toContain('llm_config.temperature: temperature must not be greater than 2');
  });

  it('does not check values that are not bodies as bodies', async () => {
    const pipe = new RequestValidationPipe();
    await expect(pipe.transform('abc', { type: 'param', metatype: String, data: 'id' })).resolves.toBe('abc');
  });

  describe('dimension kinds', () => {
    const withDimensions = (...dimensions: object[]) => ({ ...example(), dimensions });

    it('accepts every kind, a threshold where the kind yields a number, and top_k for topics', async () => {
      const task = withDimensions(
        { id: 'd1', name: 'Quality', threshold: 0.6 },
        { id: 'd2', name: 'Quality', kind: 'score', threshold: 0.6 },
        { id: 'd3', name: 'Tone', kind: 'sentiment' },
        { id: 'd4', name: 'Tone', kind: 'sentiment', threshold: 0.8 },
        { id: 'd5', name: 'About', kind: 'topics', top_k: 5 },
        { id: 'd6', name: 'Mistakes', kind: 'error_analysis' },
        { id: 'd7', name: 'Syllabus', kind: 'knowledge_points' },
      );
      await expect(
        new RequestValidationPipe().transform(task, { type: 'body', metatype: CreateTaskDto }),
      ).resolves.toBeInstanceOf(CreateTaskDto);
    });

    it('refuses an unknown kind, a score without threshold, a threshold or top_k where it does not apply', async () => {
      const body = await rejectionOf(
        withDimensions(
          { id: 'd1', name: 'x', kind: 'emotion' },
          { id: 'd2', name: 'x' },
          { id: 'd3', name: 'x', kind: 'topics', threshold: 0.5 },
          { id: 'd4', name: 'x', kind: 'sentiment', top_k: 2 },
          { id: 'd5', name: 'x', kind: 'topics', top_k: 11 },
        ),
      );
      expect(body.fields).toEqual([
        { field: 'dimensions[0].kind', reasons: [expect.stringContaining('kind must be one of the following values')] },
        {
          field: 'dimensions[1].threshold',
          reasons: ['threshold must be a number conforming to the specified constraints'],
        },
        { field: 'dimensions[2].threshold', reasons: ['threshold applies only to kind score or sentiment'] },
        { field: 'dimensions[3].top_k', reasons: ['top_k applies only to kind topics'] },
        { field: 'dimensions[4].top_k', reasons: ['top_k must not be greater than 10'] },
      ]);
    });

    it('answers dimensions given as null with a 400 naming them, not a TypeError', async () => {
      expect(fieldNames(await rejectionOf({ ...example(), dimensions: null }))).toEqual(['dimensions']);
    });

    it('needs an llm_config only when there are dimensions', async () => {
      const { llm_config: _omitted, ...rest } = example();
      expect(fieldNames(await rejectionOf(rest))).toEqual(['llm_config']);
      await expect(
        new RequestValidationPipe().transform({ ...rest, dimensions: [] }, { type: 'body', metatype: CreateTaskDto }),
      ).resolves.toMatchObject({ dimensions: [] });
    });
  });
});

describe(unstorableTextFields.name, () => {
  it('names every value and key with NUL or an unpaired surrogate, at any depth', () => {
    const body = {
      dimensions: [{ id: 'ok', name: 'a\u0000b' }],
      llm_config: { model: '\ud800' },
      ['k\udc00']: 'x',
    };
    expect(unstorableTextFields(body).map((entry) => entry.field)).toEqual([
      'dimensions[0].name',
      'llm_config.model',
      'k\udc00',
    ]);
  });

  it('accepts paired surrogates (emoji) and ordinary text', () => {
    expect(unstorableTextFields({ name: '质量评估 😀', list: ['a', 1, null, true] })).toEqual([]);
  });
});

describe('RequestValidationPipe on unstorable text', () => {
  it('answers 400 naming the field before class-validator runs', async () => {
    const pipe = new RequestValidationPipe();
    const body = { ...EXAMPLE_TASK, dimensions: [{ id: 'dim1', name: 'x\u0000', threshold: 0.5 }] };
    const error = await pipe
      .transform(body, { type: 'body', metatype: CreateTaskDto })
      .catch((caught: unknown) => caught as BadRequestException);
    expect(error).toBeInstanceOf(BadRequestException);
    expect((error as BadRequestException).getResponse()).toMatchObject({
      fields: [{ field: 'dimensions[0].name', reasons: [expect.stringMatching(/NUL/)] }],
    });
  });
});

describe(cacheValidationRules.name, () => {
  it('looks each class up once per options, and groups each lookup once', () => {
    const rules = [{ propertyName: 'a' }, { propertyName: 'b' }];
    const lookup = jest.fn(() => [...rules]);
    const group = jest.fn(() => ({}));
    const storage = { getTargetValidationMetadatas: lookup, groupByPropertyName: group } as unknown as MetadataStorage;
    cacheValidationRules(storage);
    class Dto {}
    const first = storage.getTargetValidationMetadatas(Dto, '', false, false);
    expect(storage.getTargetValidationMetadatas(Dto, '', false, false)).toBe(first);
    expect(storage.getTargetValidationMetadatas(Dto, '', false, false, ['admin'])).not.toBe(first);
    storage.getTargetValidationMetadatas(class Other {}, '', false, false);
    expect(lookup).toHaveBeenCalledTimes(3);
    expect(storage.groupByPropertyName(first)).toBe(storage.groupByPropertyName(first));
    expect(group).toHaveBeenCalledTimes(1);
  });
});
