import type { ArgumentMetadata, ValidationError } from '@nestjs/common';
import { BadRequestException, ValidationPipe } from '@nestjs/common';

export interface FieldError {
  field: string;
  reasons: string[];
}

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

/**
 * The gateway's one validation pipe: whitelisting, unknown fields refused, and a 400 that names every
 * offending field. It also refuses a body that is not a JSON object, which class-validator would let
 * through (an array or a scalar has no properties to check).
 */
export class RequestValidationPipe extends ValidationPipe {
  constructor() {
    super({
      whitelist: true,
      forbidNonWhitelisted: true,
      forbidUnknownValues: true,
      transform: true,
      validationError: { target: false, value: false },
      exceptionFactory: (errors) => {
        const fields = toFieldErrors(errors);
        const summary = fields.map((entry) => `${entry.field}: ${entry.reasons.join(', ')}`).join('; ');
        return new BadRequestException({
          statusCode: 400,
          error: 'Bad Request',
          message: `Validation failed: ${summary}`,
          fields,
        });
      },
    });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body' && (value === null || typeof value !== 'object' || Array.isArray(value))) {
      throw new BadRequestException({
        statusCode: 400,
        error: 'Bad Request',
        message: 'The request body must be a JSON object',
      });
    }
    return super.transform(value, metadata);
  }
}
