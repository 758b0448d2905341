import type { ValidationOptions } from 'class-validator';
import { registerDecorator } from 'class-validator';

/** Labels are free-form tags; bounded so that a task's labels stay a small, indexable object. */
export const LABEL_RULES = {
  maxLabels: 20,
  keyPattern: /^[A-Za-z0-9][A-Za-z0-9_.\-/]{0,62}$/,
  maxValueLength: 256,
} as const;

export const LABEL_KEY_RULE =
  'keys must be 1-63 characters: letters, digits, "_", ".", "-" or "/", starting with a letter or digit';

/** Why a labels value is not acceptable, or undefined when it is. */
export function labelsProblem(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'must be an object of strings';
  const entries = Object.entries(value);
  if (entries.length > LABEL_RULES.maxLabels) return `must have at most ${LABEL_RULES.maxLabels} labels`;
  for (const [key, label] of entries) {
    if (!LABEL_RULES.keyPattern.test(key)) return `key "${key.slice(0, 70)}": ${LABEL_KEY_RULE}`;
    if (typeof label !== 'string') return `"${key}" must be a string`;
    if (label.length > LABEL_RULES.maxValueLength) {
      return `"${key}" must be at most ${LABEL_RULES.maxValueLength} characters`;
    }
  }
  return undefined;
}

/** class-validator decorator for a labels object (string keys and values, bounded). */
export function IsLabels(options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'isLabels',
      target: target.constructor,
      propertyName: propertyName as string,
      options,
      validator: {
        validate: (value: unknown) => labelsProblem(value) === undefined,
        defaultMessage: (args) => `${args?.property} ${labelsProblem(args?.value) ?? 'are invalid'}`,
      },
    });
}
