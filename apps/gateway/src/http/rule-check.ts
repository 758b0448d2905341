import type { MetadataStorage, ValidationArguments, ValidatorOptions } from 'class-validator';
import { getMetadataStorage, ValidationTypes } from 'class-validator';
import type { ConstraintMetadata } from 'class-validator/types/metadata/ConstraintMetadata';
import type { ValidationMetadata } from 'class-validator/types/metadata/ValidationMetadata';

/** A custom or is-defined rule with the constraints that decide it. */
interface Rule {
  metadata: ValidationMetadata;
  constraints: ConstraintMetadata[];
}

/** The rules of one property, sorted the way class-validator's executor sorts them. */
interface PropertyPlan {
  name: string;
  conditions: ValidationMetadata[];
  definedRules: Rule[];
  rules: Rule[];
  nested: ValidationMetadata[];
  awaitsPromise: boolean;
}

interface ClassPlan {
  /** The class's name, as the constraints are told it. */
  targetName: string;
  /** False when a rule is of a kind the check does not know. */
  decidable: boolean;
  /** Properties with at least one rule: the whitelist. */
  known: ReadonlySet<string>;
  properties: PropertyPlan[];
}

/** The kinds of rule the check knows how to decide; a class with any other is left to class-validator. */
const DECIDED_TYPES = new Set<string>([
  ValidationTypes.CUSTOM_VALIDATION,
  ValidationTypes.NESTED_VALIDATION,
  ValidationTypes.PROMISE_VALIDATION,
  ValidationTypes.CONDITIONAL_VALIDATION,
  ValidationTypes.WHITELIST,
  ValidationTypes.IS_DEFINED,
]);

type Plain = Record<string, unknown>;
type ValidatedClass = Parameters<MetadataStorage['getTargetValidationMetadatas']>[0];

const isPromise = (value: unknown): boolean =>
  value !== null && typeof value === 'object' && typeof (value as { then?: unknown }).then === 'function';

/** A constraint's verdict, when it is a plain yes (a promise is left to class-validator). */
const isYes = (verdict: unknown): boolean => !isPromise(verdict) && Boolean(verdict);

const isCollection = (value: unknown): value is unknown[] | Set<unknown> | Map<unknown, unknown> =>
  Array.isArray(value) || value instanceof Set || value instanceof Map;

const itemsOf = (value: unknown[] | Set<unknown> | Map<unknown, unknown>): Iterable<unknown> =>
  value instanceof Map ? value.values() : value;

/**
 * Says whether an object passes every class-validator rule of its class, without building
 * class-validator's error tree. class-validator's executor allocates an error object, a handful of
 * filtered arrays and closures per property of every object it validates, whether anything fails or
 * not: a tenth or more of the gateway's CPU per submission. This walks the same rules, looked up the
 * same way (the storage's own lookup, with the same options) and decided by the same constraint
 * instances, but only to answer yes or no (ADR 25).
 *
 * `passes` is true only when class-validator would find nothing. Whenever it cannot tell (a rule that
 * answers with a promise, a property that holds one, a kind of rule it does not know) it says false,
 * and so does every failure: the caller then runs class-validator itself, which names the failures.
 * A mistake here can only cost time, never let through what class-validator refuses, as long as
 * "true" is right, which rule-check.spec.ts checks against class-validator on every DTO with valid
 * and broken requests.
 */
export class RuleCheck {
  private readonly plans = new Map<ValidatedClass, Map<string | undefined, ClassPlan>>();

  constructor(
    private readonly options: ValidatorOptions,
    private readonly storage: MetadataStorage = getMetadataStorage(),
  ) {}

  passes(object: object): boolean {
    return this.objectPasses(object as Plain, undefined);
  }

  private objectPasses(object: Plain, schema: string | undefined): boolean {
    const plan = this.planFor(object.constructor, schema);
    if (!plan?.decidable) return false;
    if (plan.properties.length === 0 && this.options.forbidUnknownValues !== false) return false;
    if (this.options.whitelist) {
      for (const key of Object.keys(object)) {
        if (plan.known.has(key)) continue;
        if (this.options.forbidNonWhitelisted) return false;
        delete object[key];
      }
    }
    for (const property of plan.properties) {
      const value = object[property.name];
      if (property.awaitsPromise && value instanceof Promise) return false;
      if (!this.valuePasses(object, plan.targetName, value, property)) return false;
    }
    return true;
  }

  private valuePasses(object: object, targetName: string, value: unknown, property: PropertyPlan): boolean {
    for (const condition of property.conditions) {
      if (!(condition.constraints[0] as (object: object, value: unknown) => boolean)(object, value)) return true;
    }
    if (!this.rulesPass(object, targetName, value, property.definedRules)) return false;
    const { skipUndefinedProperties, skipNullProperties, skipMissingProperties } = this.options;
    if (value === undefined && skipUndefinedProperties === true) return true;
    if (value === null && skipNullProperties === true) return true;
    if ((value === null || value === undefined) && skipMissingProperties === true) return true;
    return this.rulesPass(object, targetName, value, property.rules) && this.nestedPasses(value, property.nested);
  }

  private rulesPass(object: object, targetName: string, value: unknown, rules: readonly Rule[]): boolean {
    for (const { metadata, constraints } of rules) {
      if (metadata.validateIf && !metadata.validateIf(object, value)) continue;
      const args: ValidationArguments = {
        targetName,
        property: metadata.propertyName,
        object,
        value,
        constraints: metadata.constraints,
      };
      for (const { instance } of constraints) {
        if (!metadata.each || !isCollection(value)) {
          if (!isYes(instance.validate(value, args))) return false;
          continue;
        }
        for (const item of itemsOf(value)) {
          if (!isYes(instance.validate(item, args))) return false;
        }
      }
    }
    return true;
  }

  private nestedPasses(value: unknown, nested: readonly ValidationMetadata[]): boolean {
    if (value === undefined) return true;
    for (const metadata of nested) {
      if (isCollection(value)) {
        for (const item of itemsOf(value)) {
          if (!this.nestedPasses(item, nested)) return false;
        }
      } else if (value instanceof Object) {
        const schema = typeof metadata.target === 'string' ? metadata.target : metadata.target.name;
        if (!this.objectPasses(value as Plain, schema)) return false;
      } else {
        return false;
      }
    }
    return true;
  }

  /** The plan of a class, made at its first check: its rules are fixed once its decorators have run. */
  private planFor(target: unknown, schema: string | undefined): ClassPlan | undefined {
    if (typeof target !== 'function') return undefined;
    let ofTarget = this.plans.get(target);
    if (!ofTarget) this.plans.set(target, (ofTarget = new Map<string | undefined, ClassPlan>()));
    let plan = ofTarget.get(schema);
    if (!plan) ofTarget.set(schema, (plan = this.makePlan(target, schema)));
    return plan;
  }

  private makePlan(target: ValidatedClass, schema: string | undefined): ClassPlan {
    const { always = false, strictGroups = false, groups } = this.options;
    const metadatas = this.storage.getTargetValidationMetadatas(target, schema as string, always, strictGroups, groups);
    const grouped = this.storage.groupByPropertyName(metadatas);
    const ofType = (all: ValidationMetadata[], type: string) => all.filter((metadata) => metadata.type === type);
    const rulesOf = (all: ValidationMetadata[]): Rule[] =>
      all.map((metadata) => ({
        metadata,
        constraints: this.storage.getTargetValidatorConstraints(metadata.constraintCls),
      }));
    const properties = Object.keys(grouped).map((name) => {
      const all = grouped[name];
      return {
        name,
        conditions: ofType(all, ValidationTypes.CONDITIONAL_VALIDATION),
        definedRules: rulesOf(ofType(all, ValidationTypes.IS_DEFINED)),
        rules: rulesOf(ofType(all, ValidationTypes.CUSTOM_VALIDATION)),
        nested: ofType(all, ValidationTypes.NESTED_VALIDATION),
        awaitsPromise: all.some((metadata) => metadata.type === ValidationTypes.PROMISE_VALIDATION),
      };
    });
    return {
      targetName: target.name,
      decidable: metadatas.every((metadata) => DECIDED_TYPES.has(metadata.type)),
      known: new Set(Object.keys(grouped)),
      properties,
    };
  }
}
