/**
 * One CSV line by RFC 4180: a field with a comma, a double quote, CR or LF is quoted and its quotes
 * doubled; lines end with CRLF. Objects and arrays are written as JSON, null and undefined as empty.
 */
export function csvLine(values: readonly unknown[]): string {
  return `${values.map(csvField).join(',')}\r\n`;
}

function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
