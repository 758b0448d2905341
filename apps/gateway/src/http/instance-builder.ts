import type { TransformerPackage } from '@nestjs/common/interfaces/external/transformer-package.interface';
import type { ClassTransformOptions, TypeMetadata } from 'class-transformer';
import { instanceToPlain, plainToInstance, TransformationType } from 'class-transformer';
import type { MetadataStorage } from 'class-transformer/types/MetadataStorage';

/*
 * class-transformer keeps its decorators' metadata in a storage its index does not export; its
 * CommonJS build (0.5.x, the line Nest 11 uses) has it here. The builder reads it through the
 * storage's own lookups, as class-transformer does.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { defaultMetadataStorage } = require('class-transformer/cjs/storage') as {
  defaultMetadataStorage: MetadataStorage;
};

type Constructor = new () => object;
type Plain = Record<string, unknown>;

/** Thrown inside a build that meets what the builder does not copy itself; caught at the top. */
class LeftToClassTransformer extends Error {}

/**
 * Target types class-transformer converts to rather than builds (String(value), new Date(value)…),
 * and collections it builds in ways of their own: the builder leaves all of them to it.
 */
const CONVERTED_TYPES = new Set<unknown>([String, Number, Boolean, Date, Buffer, Map, Set, Array, Promise]);

/** Property lookups remembered per class; keys come from requests, so the memo stops growing here. */
const MAX_REMEMBERED_KEYS = 256;

/** What class-transformer finds for one property of a class: its @Type, if any. */
interface PropertyPlan {
  type: TypeMetadata | undefined;
}

/** A class the builder can build: no @Expose or @Exclude anywhere on it. */
class ClassPlan {
  private readonly properties = new Map<string, PropertyPlan>();

  constructor(private readonly target: Constructor) {}

  property(key: string): PropertyPlan {
    const remembered = this.properties.get(key);
    if (remembered) return remembered;
    if (defaultMetadataStorage.findTransformMetadatas(this.target, key, TransformationType.PLAIN_TO_CLASS).length > 0) {
      throw new LeftToClassTransformer();
    }
    const type = defaultMetadataStorage.findTypeMetadata(this.target, key);
    // A discriminator picks the class by a property's value, and a Map is built entry by entry.
    if (type && (type.options?.discriminator || type.reflectedType === Map)) throw new LeftToClassTransformer();
    const plan = { type };
    if (this.properties.size < MAX_REMEMBERED_KEYS) this.properties.set(key, plan);
    return plan;
  }
}

/**
 * class-transformer's `plainToInstance` for what a request parses into (objects, arrays and scalars,
 * as from JSON.parse) and classes whose only class-transformer decorator is a plain @Type: it builds
 * the same instances, key by key in the same order, with the same keys skipped, without a transform
 * executor and its per-key metadata scans (about a twelfth of a submission's CPU in the gateway). The
 * steps follow class-transformer 0.5's TransformOperationExecutor with its default options; anything
 * else (options, @Expose, @Exclude, @Transform, discriminators, Maps, Sets, Dates, Buffers, promises,
 * objects of other classes) goes to class-transformer itself, for the whole value.
 * instance-builder.spec.ts compares both, prototype by prototype and key by key, on every DTO.
 */
export class InstanceBuilder implements TransformerPackage {
  private readonly plans = new Map<Constructor, ClassPlan | null>();

  plainToInstance<T>(cls: new () => T, plain: unknown, options?: ClassTransformOptions): T | T[] {
    if (options === undefined) {
      try {
        return this.build(plain, cls, undefined) as T | T[];
      } catch (error) {
        if (!(error instanceof LeftToClassTransformer)) throw error;
      }
    }
    return plainToInstance(cls, plain, options);
  }

  classToPlain(object: unknown, options?: ClassTransformOptions): Record<string, unknown> {
    return instanceToPlain(object, options);
  }

  /** One step of TransformOperationExecutor.transform, for the source-less PLAIN_TO_CLASS case. */
  private build(value: unknown, targetType: unknown, arrayType: unknown): unknown {
    if (CONVERTED_TYPES.has(targetType)) throw new LeftToClassTransformer();
    if (Array.isArray(value)) {
      // instantiateArrayType() gives [] for these (Object has no push); other array types are left.
      if (arrayType !== undefined && arrayType !== Array && arrayType !== Object) throw new LeftToClassTransformer();
      const built: unknown[] = [];
      // forEach, as class-transformer's: the holes of a sparse array are left out.
      value.forEach((item) => built.push(this.build(item, targetType, undefined)));
      return built;
    }
    if (value === null || typeof value !== 'object') return value;
    if (Object.getPrototypeOf(value) !== Object.prototype) throw new LeftToClassTransformer();
    const object = value as Plain;
    // An own `constructor` would stand in for the type, and a `then` function makes it a promise.
    if (Object.hasOwn(object, 'constructor') || typeof object.then === 'function') throw new LeftToClassTransformer();
    const plan = targetType === undefined ? undefined : this.planFor(targetType);
    const built = (plan ? new (targetType as Constructor)() : {}) as Plain;
    const prototype = (built.constructor as { prototype?: object } | undefined)?.prototype;
    for (const key of Object.keys(object)) {
      if (key === '__proto__' || key === 'constructor') continue;
      const subValue = object[key];
      const type = plan?.property(key).type;
      const reflectedType: unknown = type?.reflectedType;
      const subType = type?.typeFunction
        ? type.typeFunction({ newObject: built, object, property: key })
        : reflectedType;
      const subArrayType = Array.isArray(subValue) ? reflectedType : undefined;
      // Keys that name a method or a getter of the built object are not copied onto it.
      if (prototype) {
        const descriptor = Object.getOwnPropertyDescriptor(prototype, key);
        if ((descriptor && !descriptor.set) || built[key] instanceof Function) continue;
      }
      built[key] = this.build(subValue, subType, subArrayType);
    }
    return built;
  }

  private planFor(target: unknown): ClassPlan {
    if (typeof target !== 'function') throw new LeftToClassTransformer();
    const type = target as Constructor;
    let plan = this.plans.get(type);
    if (plan === undefined) {
      const decorated =
        defaultMetadataStorage.getStrategy(type) !== 'none' ||
        defaultMetadataStorage.getExposedMetadatas(type).length > 0 ||
        defaultMetadataStorage.getExcludedMetadatas(type).length > 0;
      plan = decorated ? null : new ClassPlan(type);
      this.plans.set(type, plan);
    }
    if (plan === null) throw new LeftToClassTransformer();
    return plan;
  }
}
