import { ArgumentMetadata, BadRequestException, ValidationError, ValidationPipe } from '@nestjs/common';

export interface FieldError {
  field: string;
  reasons: string[];
}

/** Flattens class-validator's error tree into one entry per offending field, with a JSON-path name. */
export function toFieldErrors(errors: readonly ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = /^\d+$/.test(error.property) ? `${parent}[${error.property}]` : parent ? `${parent}.${error.property}` : error.property;
    const own = error.constraints ? [{ field, reasons: Object.values(error.constraints) }] : [];
    return [...own, ...toFieldErrors(error.children ?? [], field)];
  });
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
      stopAtFirstError: true,
      transform: true,
      validationError: { target: false, value: false },
      exceptionFactory: (errors) => {
        const fields = toFieldErrors(errors);
        const summary = fields.map((entry) => `${entry.field}: ${entry.reasons.join(', ')}`).join('; ');
        return new BadRequestException({ statusCode: 400, error: 'Bad Request', message: `Validation failed: ${summary}`, fields });
      },
    });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body' && (value === null || typeof value !== 'object' || Array.isArray(value))) {
      throw new BadRequestException({ statusCode: 400, error: 'Bad Request', message: 'The request body must be a JSON object' });
    }
    return super.transform(value, metadata);
  }
}
