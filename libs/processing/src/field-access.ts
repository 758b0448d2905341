/** A record as the chain sees it: `content` is its text, every other name one of its fields. */
export interface ChainRecord {
  id: string;
  sourceId: string;
  content: string;
  fields: Record<string, unknown>;
}

export const CONTENT = 'content';

export function getField(record: ChainRecord, name: string): unknown {
  return name === CONTENT ? record.content : record.fields[name];
}

/** The content stays a string: a value written to it is turned into text. */
export function setField(record: ChainRecord, name: string, value: unknown): void {
  if (name === CONTENT) record.content = typeof value === 'string' ? value : JSON.stringify(value ?? '');
  else record.fields[name] = value;
}

export function hasField(record: ChainRecord, name: string): boolean {
  return name === CONTENT || Object.prototype.hasOwnProperty.call(record.fields, name);
}
