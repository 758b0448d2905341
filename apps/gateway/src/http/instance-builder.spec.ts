import * as classTransformer from 'class-transformer';
import { ClassTransformer, Exclude, Expose, Transform, Type } from 'class-transformer';
import fc from 'fast-check';
import { CreateBatchDto, CreateTaskDto, EXAMPLE_TASK } from '@app/contracts';
import { FULL_TASK, generatedTask, mutated } from '../../../../test/support/task-arbitraries';
import { generatedQuery } from '../../../../test/support/query-arbitraries';
import { InstanceBuilder } from './instance-builder';

type Class = new () => object;

/** Where two builds first differ (prototype, own keys in order, or a value), or undefined. */
function difference(fast: unknown, slow: unknown, path = '$'): string | undefined {
  if (typeof fast !== 'object' || fast === null || typeof slow !== 'object' || slow === null) {
    return Object.is(fast, slow) ? undefined : `${path}: ${String(fast)} vs ${String(slow)}`;
  }
  if (Object.getPrototypeOf(fast) !== Object.getPrototypeOf(slow)) return `${path}: prototypes differ`;
  const fastKeys = Reflect.ownKeys(fast);
  const slowKeys = Reflect.ownKeys(slow);
  if (fastKeys.join('\u0000') !== slowKeys.join('\u0000')) {
    return `${path}: keys [${fastKeys.join(', ')}] vs [${slowKeys.join(', ')}]`;
  }
  for (const key of fastKeys) {
    const found = difference(
      (fast as Record<PropertyKey, unknown>)[key],
      (slow as Record<PropertyKey, unknown>)[key],
      `${path}.${String(key)}`,
    );
    if (found) return found;
  }
  return undefined;
}

/** class-transformer itself, called other than through the function the builder falls back to. */
const reference = new ClassTransformer();

/**
 * Builds the same request both ways, each from its own copy, and says where they differ. The copies
 * are parsed from JSON, as a body is (structuredClone would make them in another realm under Jest).
 */
function compare(type: Class, plain: unknown): string | undefined {
  const text = JSON.stringify(plain) ?? 'null';
  const fast = new InstanceBuilder().plainToInstance(type, JSON.parse(text));
  return difference(fast, reference.plainToInstance(type, JSON.parse(text)));
}

/** Parsed as a request body is, so `__proto__` is an own key like any other. */
const HOSTILE_KEYS = JSON.parse(
  '{"__proto__": {"polluted": 1}, "toString": "t", "valueOf": {"a": 1}, "hasOwnProperty": [1], "then": 1}',
) as Record<string, unknown>;

describe(InstanceBuilder.name, () => {
  afterEach(() => jest.restoreAllMocks());

  it('builds the task and batch DTOs as class-transformer does, without calling it', () => {
    const slowPath = jest.spyOn(classTransformer, 'plainToInstance');
    const requests: [Class, unknown][] = [
      [CreateTaskDto, EXAMPLE_TASK],
      [CreateTaskDto, FULL_TASK],
      [CreateTaskDto, { ...FULL_TASK, ...HOSTILE_KEYS, labels: HOSTILE_KEYS }],
      [CreateTaskDto, { data_sources: [{ id: 's', type: 'inline', records: [HOSTILE_KEYS, null, 5] }] }],
      [CreateBatchDto, { tasks: [EXAMPLE_TASK, FULL_TASK], notify: FULL_TASK.notify }],
      [CreateBatchDto, [{ tasks: [] }, 5, null]],
    ];
    for (const [type, plain] of requests) expect(compare(type, plain)).toBeUndefined();
    expect(slowPath).not.toHaveBeenCalled();
    expect(new InstanceBuilder().plainToInstance(CreateTaskDto, FULL_TASK)).toBeInstanceOf(CreateTaskDto);
  });

  it('builds what class-transformer builds from any task: the example and a full task mutated at any depth', () => {
    const hostile = fc.constantFrom<unknown>(HOSTILE_KEYS, [HOSTILE_KEYS, [null]], { a: [HOSTILE_KEYS] });
    fc.assert(
      fc.property(fc.oneof(mutated(EXAMPLE_TASK), mutated(FULL_TASK), generatedTask), hostile, (plain, extra) => {
        expect(compare(CreateTaskDto, plain)).toBeUndefined();
        expect(compare(CreateBatchDto, { tasks: [plain, extra], notify: extra })).toBeUndefined();
      }),
      { numRuns: 2000 },
    );
  });

  // Their numbers are @Type(() => Number) and their lists @Transform: class-transformer builds them.
  it('builds what class-transformer builds from any query', () => {
    fc.assert(
      fc.property(generatedQuery, ([type, query]) => {
        expect(compare(type, query)).toBeUndefined();
      }),
      { numRuns: 1000 },
    );
  });

  describe('on classes of its own', () => {
    class Leaf {
      label = 'default';
      size?: number;
      get computed(): string {
        return 'getter';
      }
      describe(): string {
        return this.label;
      }
    }

    class Root {
      @Type(() => Leaf)
      leaf?: Leaf;

      @Type(() => Leaf)
      leaves?: Leaf[];

      // A union: its reflected type is Object, and class-transformer still builds an array.
      @Type(() => Leaf)
      maybeLeaves?: Leaf[] | null;

      // Picked from the object being built, as a type function may.
      @Type((options) => ((options?.object as { kind?: string }).kind === 'leaf' ? Leaf : Root))
      child?: unknown;

      kind?: string;
      free?: unknown;
    }

    it('copies keys, skips methods, getters and prototype names, and keeps initial values', () => {
      const cases: unknown[] = [
        { leaf: { size: 1, label: 'x', describe: 'no', computed: 'no', toString: 'no' }, free: HOSTILE_KEYS },
        { leaves: [{ size: 1 }, null, 'text', [{ size: 2 }]], maybeLeaves: [{ size: 3 }] },
        { kind: 'leaf', child: { size: 4 } },
        { child: { kind: 'leaf', child: { size: 5 } } },
        { leaf: 'not an object', leaves: {}, free: [[HOSTILE_KEYS]] },
        [{ leaf: {} }, 'scalar'],
        'scalar',
        null,
      ];
      for (const plain of cases) expect(compare(Root, plain)).toBeUndefined();
      // Not from JSON, but as class-transformer does it: the holes of a sparse array are left out.
      const sparse = { free: [1, , 3] }; // eslint-disable-line no-sparse-arrays
      expect(
        difference(new InstanceBuilder().plainToInstance(Root, sparse), reference.plainToInstance(Root, sparse)),
      ).toBeUndefined();
      const built = new InstanceBuilder().plainToInstance(Root, { leaf: { size: 1, describe: 'no' } }) as Root;
      expect(built.leaf).toBeInstanceOf(Leaf);
      expect(built.leaf?.label).toBe('default');
    });

    it('leaves @Expose, @Exclude, @Transform, options and values of other classes to class-transformer', () => {
      class Exposed {
        @Expose({ name: 'external' })
        internal?: string;
      }
      class Excluded {
        @Exclude()
        secret?: string;
      }
      class Transformed {
        @Transform(({ value }: { value: unknown }) => String(value).toUpperCase())
        name?: string;
      }
      class Dated {
        @Type(() => Date)
        at?: Date;
      }
      const slowPath = jest.spyOn(classTransformer, 'plainToInstance');
      const cases: [Class, unknown][] = [
        [Exposed, { external: 'a', internal: 'b' }],
        [Excluded, { secret: 's', open: 1 }],
        [Transformed, { name: 'n' }],
        [Dated, { at: '2026-01-01T00:00:00Z' }],
        [Root, { free: new Map([['a', 1]]) }],
        [Root, { free: new Set([1]) }],
        [Root, { free: new Date(0) }],
        [Root, { free: Object.create(null) as object }],
      ];
      for (const [type, plain] of cases) {
        const fast = new InstanceBuilder().plainToInstance(type, plain);
        expect(difference(fast, reference.plainToInstance(type, plain))).toBeUndefined();
      }
      expect(slowPath).toHaveBeenCalledTimes(cases.length);
      new InstanceBuilder().plainToInstance(Root, { leaf: {} }, { excludeExtraneousValues: true });
      expect(slowPath).toHaveBeenCalledTimes(cases.length + 1);
      // An object whose own `constructor` is not a class: class-transformer throws, and so does the
      // builder, through it.
      const impostor = { free: { constructor: 'own' } };
      expect(() => reference.plainToInstance(Root, impostor)).toThrow(TypeError);
      expect(() => new InstanceBuilder().plainToInstance(Root, impostor)).toThrow(TypeError);
    });
  });
});
