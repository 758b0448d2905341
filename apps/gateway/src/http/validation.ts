import type { ArgumentMetadata, ValidationError } from '@nestjs/common';
import { BadRequestException, ValidationPipe } from '@nestjs/common';
import type { MetadataStorage, ValidatorOptions } from 'class-validator';
import { getMetadataStorage } from 'class-validator';
import type { ValidationMetadata } from 'class-validator/types/metadata/ValidationMetadata';
import type { FieldError } from '@app/contracts';
import { InstanceBuilder } from './instance-builder';
import { RuleCheck } from './rule-check';

/**
 * Constraints that say what a value is, most basic first. When one of them fails, the others on the
 * same field (ranges, lengths) only restate it and would hide the real reason, so they are left out.
 */
const FUNDAMENTAL_CONSTRAINTS = [
  ['isDefined'],
  ['isNumber', 'isInt', 'isString', 'isArray', 'isObject', 'isEnum', 'whitelistValidation'],
] as const;

/** Flattens class-validator's error tree into one entry per offending field, with a JSON-path name. */
export function toFieldErrors(errors: readonly ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = /^\d+$/.test(error.property)
      ? `${parent}[${error.property}]`
      : parent
        ? `${parent}.${error.property}`
        : error.property;
    const own = error.constraints ? [{ field, reasons: mainReasons(error.constraints) }] : [];
    return [...own, ...toFieldErrors(error.children ?? [], field)];
  });
}

function mainReasons(constraints: Record<string, string>): string[] {
  for (const tier of FUNDAMENTAL_CONSTRAINTS) {
    const failed = tier.filter((name) => name in constraints).map((name) => constraints[name]);
    if (failed.length > 0) return failed;
  }
  return Object.values(constraints);
}

/** NUL, or a UTF-16 surrogate without its partner: neither can be stored in Postgres text or JSONB. */
const UNPAIRED_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const unstorable = (text: string): boolean => text.includes('\0') || UNPAIRED_SURROGATE.test(text);
const UNSTORABLE_REASON = 'must not contain NUL characters or unpaired UTF-16 surrogates';

/**
 * Every string of a parsed request (keys and values, at any depth) that Postgres would refuse, named
 * by its JSON path. Checked before class-validator, so such input gets a 400 and never a driver error.
 * The path is kept as a stack of segments and only spelled out for a string that is refused, so a
 * request without any (nearly all) is walked without building a name per field.
 */
export function unstorableTextFields(value: unknown, path = ''): FieldError[] {
  const found: FieldError[] = [];
  collectUnstorableText(value, path === '' ? [] : [path], found);
  return found;
}

function collectUnstorableText(value: unknown, path: (string | number)[], found: FieldError[]): void {
  if (typeof value === 'string') {
    if (unstorable(value)) found.push({ field: fieldName(path) || '(body)', reasons: [UNSTORABLE_REASON] });
    return;
  }
  if (value === null || typeof value !== 'object') return;
  const entries: Iterable<[string | number, unknown]> = Array.isArray(value) ? value.entries() : Object.entries(value);
  for (const [key, item] of entries) {
    path.push(key);
    if (typeof key === 'string' && unstorable(key)) {
      found.push({ field: fieldName(path), reasons: [`name ${UNSTORABLE_REASON}`] });
    }
    collectUnstorableText(item, path, found);
    path.pop();
  }
}

/** A JSON path as the API names fields: `data_sources[0].url`. */
function fieldName(path: readonly (string | number)[]): string {
  return path.reduce<string>(
    (name, segment) => (typeof segment === 'number' ? `${name}[${segment}]` : name ? `${name}.${segment}` : segment),
    '',
  );
}

/** The 400 of a request with invalid fields: each named, with every reason. */
export function invalidFields(fields: readonly FieldError[]): BadRequestException {
  const summary = fields.map((entry) => `${entry.field}: ${entry.reasons.join(', ')}`).join('; ');
  return new BadRequestException({
    statusCode: 400,
    error: 'Bad Request',
    message: `Validation failed: ${summary}`,
    fields,
  });
}

/**
 * The gateway's one validation pipe: whitelisting, unknown fields refused, and a 400 that names every
 * offending field. It also refuses a body that is not a JSON object, which class-validator would let
 * through (an array or a scalar has no properties to check), and text that Postgres cannot store.
 */
export class RequestValidationPipe extends ValidationPipe {
  private readonly ruleCheck: RuleCheck;

  constructor() {
    super({
      whitelist: true,
      forbidNonWhitelisted: true,
      forbidUnknownValues: true,
      transform: true,
      transformerPackage: new InstanceBuilder(),
      validationError: { target: false, value: false },
      exceptionFactory: (errors) => invalidFields(toFieldErrors(errors)),
    });
    this.ruleCheck = new RuleCheck(this.validatorOptions);
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body' && (value === null || typeof value !== 'object' || Array.isArray(value))) {
      throw new BadRequestException({
        statusCode: 400,
        error: 'Bad Request',
        message: 'The request body must be a JSON object',
      });
    }
    const badText = unstorableTextFields(value, metadata.type === 'body' ? '' : (metadata.data ?? metadata.type));
    if (badText.length > 0) throw invalidFields(badText);
    return super.transform(value, metadata);
  }

  /*
   * What the pipe validates here comes from JSON.parse (bodies), the query-string parser (query) or the
   * router (params): none makes a sparse array or a binary value, which these two walks of every value
   * look for on behalf of transports that can (multipart, socket.io). Skipped, about 3 % of a
   * submission's CPU.
   */
  protected override closeArrayGaps(): void {}

  protected override findNestedBinaryValues(): ValidationError[] {
    return [];
  }

  /** class-validator runs only for a request that fails the rule check, to name what is wrong. */
  protected override validate(
    object: object,
    options?: ValidatorOptions,
  ): ValidationError[] | Promise<ValidationError[]> {
    return this.ruleCheck.passes(object) ? [] : super.validate(object, options);
  }
}

type RuleLookup = MetadataStorage['getTargetValidationMetadatas'];
type Grouping = MetadataStorage['groupByPropertyName'];

/**
 * class-validator looks a class's rules up anew for every object it validates (the body and each
 * nested source, dimension and setting): it filters all the rules of the class, scans every validated
 * class for parents, and groups the result by property, about a twentieth of a submission's CPU. The
 * rules are fixed once the DTO classes are defined (their decorators run as they are), so each lookup
 * is kept per class and options, and its grouping with it.
 */
export function cacheValidationRules(storage: MetadataStorage = getMetadataStorage()): void {
  const lookup: RuleLookup = storage.getTargetValidationMetadatas.bind(storage);
  const group: Grouping = storage.groupByPropertyName.bind(storage);
  const lookups = new Map<Parameters<RuleLookup>[0], Map<string, ValidationMetadata[]>>();
  const groupings = new WeakMap<ValidationMetadata[], ReturnType<Grouping>>();
  storage.getTargetValidationMetadatas = (target, schema, always, strictGroups, groups) => {
    const key = `${schema}\u0000${always}\u0000${strictGroups}\u0000${groups?.join('\u0001') ?? ''}`;
    let ofTarget = lookups.get(target);
    if (!ofTarget) lookups.set(target, (ofTarget = new Map<string, ValidationMetadata[]>()));
    let rules = ofTarget.get(key);
    if (!rules) ofTarget.set(key, (rules = lookup(target, schema, always, strictGroups, groups)));
    return rules;
  };
  storage.groupByPropertyName = (rules) => {
    let grouped = groupings.get(rules);
    if (!grouped) groupings.set(rules, (grouped = group(rules)));
    return grouped;
  };
}
