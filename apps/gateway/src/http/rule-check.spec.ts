import { plainToInstance } from 'class-transformer';
import type { MetadataStorage, ValidationArguments, ValidatorOptions } from 'class-validator';
import {
  IsInt,
  IsOptional,
  IsString,
  ValidateBy,
  ValidateIf,
  ValidateNested,
  ValidatePromise,
  validate,
} from 'class-validator';
import { Type } from 'class-transformer';
import fc from 'fast-check';
import { CreateBatchDto, CreateTaskDto, EXAMPLE_TASK } from '@app/contracts';
import { FULL_TASK, generatedTask, mutated } from '../../../../test/support/task-arbitraries';
import {
  ActiveTasksQueryDto,
  DeleteTaskQueryDto,
  ListTasksQueryDto,
  TaskResultQueryDto,
  TaskStatsQueryDto,
} from '../tasks/dto/task-queries.dto';
import { generatedQuery } from '../../../../test/support/query-arbitraries';
import { RuleCheck } from './rule-check';
import { cacheValidationRules } from './validation';

// As in the gateway (main.ts): the rules are looked up through the cache.
cacheValidationRules();

/** The options the gateway's pipe validates with. */
const OPTIONS: ValidatorOptions = {
  whitelist: true,
  forbidNonWhitelisted: true,
  forbidUnknownValues: true,
  validationError: { target: false, value: false },
};

type Class = new () => object;

/** Both verdicts on the same request, each on its own copy turned into the class as the pipe does. */
async function verdicts(type: Class, plain: unknown, options = OPTIONS): Promise<{ fast: boolean; slow: boolean }> {
  const fast = new RuleCheck(options).passes(plainToInstance<object, unknown>(type, structuredClone(plain)));
  const errors = await validate(plainToInstance<object, unknown>(type, structuredClone(plain)), options);
  return { fast, slow: errors.length === 0 };
}

/** Counts how often each verdict came up, so a property that never saw one side says so. */
class Tally {
  fastYes = 0;
  slowNo = 0;

  record({ fast, slow }: { fast: boolean; slow: boolean }): void {
    // The one thing the fast path must never do: say yes where class-validator says no.
    expect({ fast, slow }).not.toEqual({ fast: true, slow: false });
    if (fast) this.fastYes += 1;
    if (!slow) this.slowNo += 1;
  }
}

describe(RuleCheck.name, () => {
  it('passes the valid requests class-validator passes, so the gateway skips it for them', async () => {
    const valid: [Class, unknown][] = [
      [CreateTaskDto, EXAMPLE_TASK],
      [CreateTaskDto, FULL_TASK],
      [CreateTaskDto, { data_sources: [{ id: 's', type: 'api', url: 'u' }], dimensions: [] }],
      [CreateBatchDto, { tasks: [EXAMPLE_TASK, FULL_TASK], notify: FULL_TASK.notify }],
      [ListTasksQueryDto, { status: 'running,completed', limit: '20', label: 'team:search' }],
      [ActiveTasksQueryDto, { limit: '5', created_after: '2026-01-01T00:00:00Z' }],
      [TaskStatsQueryDto, {}],
      [TaskResultQueryDto, { limit: '10' }],
      [DeleteTaskQueryDto, {}],
    ];
    for (const [type, plain] of valid) {
      await expect(verdicts(type, plain)).resolves.toEqual({ fast: true, slow: true });
    }
  });

  it('never passes a task class-validator refuses: the example and a full task mutated at any depth', async () => {
    const tally = new Tally();
    await fc.assert(
      fc.asyncProperty(fc.oneof(mutated(EXAMPLE_TASK), mutated(FULL_TASK), generatedTask), async (plain) => {
        tally.record(await verdicts(CreateTaskDto, plain));
      }),
      { numRuns: 3000 },
    );
    expect(tally.fastYes).toBeGreaterThan(50);
    expect(tally.slowNo).toBeGreaterThan(1000);
  });

  it('never passes a batch or a query class-validator refuses', async () => {
    const tally = new Tally();
    const batch = fc.array(fc.oneof(mutated(EXAMPLE_TASK), fc.constant(EXAMPLE_TASK)), { maxLength: 3 });
    await fc.assert(
      fc.asyncProperty(mutated({ tasks: [EXAMPLE_TASK], notify: FULL_TASK.notify }), batch, async (plain, tasks) => {
        tally.record(await verdicts(CreateBatchDto, plain));
        tally.record(await verdicts(CreateBatchDto, { tasks }));
      }),
      { numRuns: 500 },
    );
    await fc.assert(
      fc.asyncProperty(generatedQuery, async ([type, query]) => {
        tally.record(await verdicts(type, query));
      }),
      { numRuns: 1000 },
    );
    expect(tally.fastYes).toBeGreaterThan(50);
    expect(tally.slowNo).toBeGreaterThan(200);
  });

  describe('rules the DTOs do not use yet, on classes of its own', () => {
    class Leaf {
      @IsInt({ each: true })
      values!: number[] | Set<number>;
    }

    class Root {
      @ValidateIf((root: Root) => root.kind === 'checked')
      @IsString()
      name?: unknown;

      @IsOptional()
      kind?: string;

      @ValidateNested({ each: true })
      @Type(() => Leaf)
      leaves!: Leaf[];

      @IsOptional()
      @ValidateBy({ name: 'later', validator: { validate: async (value: unknown) => Promise.resolve(value === 1) } })
      later?: number;

      @IsOptional()
      @ValidatePromise()
      promised?: Promise<unknown>;

      @IsOptional()
      @ValidateBy({
        name: 'knowsItsClass',
        validator: { validate: (_value: unknown, args?: ValidationArguments) => args?.targetName === Root.name },
      })
      named?: number;
    }

    it('agrees with class-validator on conditions, each, nesting, whitelists and the class name', async () => {
      const cases: [unknown, boolean][] = [
        [{ leaves: [{ values: [1, 2] }] }, true],
        [{ kind: 'checked', name: 'n', leaves: [] }, true],
        [{ kind: 'checked', name: 5, leaves: [] }, false],
        [{ kind: 'other', name: 5, leaves: [] }, true],
        [{ leaves: [{ values: [1, 'x'] }] }, false],
        [{ leaves: [null] }, false],
        [{ leaves: [5] }, false],
        [{ leaves: 'no' }, false],
        [{ leaves: [{ values: [1], extra: 1 }] }, false],
        [{ leaves: [], named: 1 }, true],
      ];
      for (const [plain, valid] of cases) {
        await expect(verdicts(Root, plain)).resolves.toEqual({ fast: valid, slow: valid });
      }
    });

    it('checks each item of a set', async () => {
      for (const [values, valid] of [
        [new Set([1, 2]), true],
        [new Set([1, 'x']), false],
      ] as const) {
        const root = Object.assign(new Root(), { leaves: [Object.assign(new Leaf(), { values })] });
        expect(new RuleCheck(OPTIONS).passes(root)).toBe(valid);
        await expect(validate(root, OPTIONS)).resolves.toHaveLength(valid ? 0 : 1);
      }
    });

    it('leaves a rule that answers with a promise, and a promised value, to class-validator', async () => {
      await expect(verdicts(Root, { leaves: [], later: 1 })).resolves.toEqual({ fast: false, slow: true });
      const promised = Object.assign(new Root(), { leaves: [], promised: Promise.resolve(1) });
      expect(new RuleCheck(OPTIONS).passes(promised)).toBe(false);
    });

    it('strips unknown properties when asked to, as class-validator does, instead of refusing them', async () => {
      const stripping = { whitelist: true, forbidUnknownValues: true };
      const root = plainToInstance(Root, { leaves: [], extra: 1 });
      expect(new RuleCheck(stripping).passes(root)).toBe(true);
      expect(root).not.toHaveProperty('extra');
      await expect(verdicts(Root, { leaves: [], extra: 1 }, stripping)).resolves.toEqual({ fast: true, slow: true });
    });

    it('refuses an object of a class without rules, and a value of no class', () => {
      expect(new RuleCheck(OPTIONS).passes({})).toBe(false);
      expect(new RuleCheck(OPTIONS).passes(Object.create(null) as object)).toBe(false);
    });

    it('leaves a class with a kind of rule it does not know to class-validator', () => {
      class Future {
        x = 1;
      }
      const rule = { type: 'futureValidation', propertyName: 'x', target: Future, constraints: [] };
      const storage = {
        getTargetValidationMetadatas: () => [rule],
        groupByPropertyName: () => ({ x: [rule] }),
        getTargetValidatorConstraints: () => [],
      } as unknown as MetadataStorage;
      expect(new RuleCheck(OPTIONS, storage).passes(new Future())).toBe(false);
    });
  });
});
