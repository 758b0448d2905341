import type { FieldError } from '@app/contracts';
import { EXPORT_FORMATS } from '@app/contracts';

export const OUTPUT_LIMITS = { recipients: 20, subjectLength: 200, urlLength: 2048 } as const;

const EMAIL = /^[^\s@<>,;"]+@[^\s@<>,;"]+\.[^\s@<>,;"]+$/;

/**
 * Checks a task's `outputs` by hand (a tagged union, like the processing steps): every problem named
 * by its index and field. The outbound guard on webhook hosts applies when the delivery is made.
 */
export function validateOutputs(outputs: readonly unknown[], path = 'outputs'): FieldError[] {
  const problems: FieldError[] = [];
  const add = (field: string, reason: string) => problems.push({ field, reasons: [reason] });
  outputs.forEach((output, index) => {
    const at = `${path}[${index}]`;
    if (output === null || typeof output !== 'object' || Array.isArray(output)) return add(at, 'must be an object');
    const entry = output as Record<string, unknown>;
    const allowed =
      entry.type === 'export'
        ? ['type', 'format', 'to', 'url']
        : entry.type === 'email'
          ? ['type', 'to', 'subject']
          : null;
    if (!allowed) return add(`${at}.type`, 'must be one of export, email');
    for (const key of Object.keys(entry)) {
      if (!allowed.includes(key)) add(`${at}.${key}`, `is not allowed here (allowed: ${allowed.join(', ')})`);
    }
    if (entry.type === 'export') {
      if (!(EXPORT_FORMATS as readonly unknown[]).includes(entry.format))
        add(`${at}.format`, `must be one of ${EXPORT_FORMATS.join(', ')}`);
      if (entry.to !== 'webhook') add(`${at}.to`, 'must be webhook');
      if (!isHttpUrl(entry.url))
        add(`${at}.url`, `must be an http or https URL of at most ${OUTPUT_LIMITS.urlLength} characters`);
      return;
    }
    const to = entry.to;
    if (!Array.isArray(to) || to.length === 0 || to.length > OUTPUT_LIMITS.recipients) {
      add(`${at}.to`, `must be an array of 1 to ${OUTPUT_LIMITS.recipients} e-mail addresses`);
    } else {
      to.forEach((address, position) => {
        if (typeof address !== 'string' || address.length > 254 || !EMAIL.test(address))
          add(`${at}.to[${position}]`, 'must be an e-mail address');
      });
    }
    if (
      entry.subject !== undefined &&
      (typeof entry.subject !== 'string' || entry.subject.length > OUTPUT_LIMITS.subjectLength)
    )
      add(`${at}.subject`, `must be a string of at most ${OUTPUT_LIMITS.subjectLength} characters`);
  });
  return problems;
}

function isHttpUrl(value: unknown): boolean {
  if (typeof value !== 'string' || value.length > OUTPUT_LIMITS.urlLength) return false;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}
