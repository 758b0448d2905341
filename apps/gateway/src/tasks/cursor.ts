import type { KeysetPosition } from '@app/persistence';

/**
 * Cursors are opaque to clients (base64url of a small JSON array with a tag), so the paging scheme
 * can change without changing the API. decode() returns undefined for anything it did not encode.
 */
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function encode(parts: unknown[]): string {
  return Buffer.from(JSON.stringify(parts)).toString('base64url');
}

function decode(cursor: string, tag: string): unknown[] | undefined {
  if (cursor.length > 200 || !/^[A-Za-z0-9_-]+$/.test(cursor)) return undefined;
  try {
    const parts: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    return Array.isArray(parts) && parts[0] === tag ? parts.slice(1) : undefined;
  } catch {
    return undefined;
  }
}

/** A place in a list of tasks, newest first. */
export const taskCursor = {
  encode: (position: KeysetPosition): string => encode(['t', position.createdAt, position.id]),
  decode: (cursor: string): KeysetPosition | undefined => {
    const parts = decode(cursor, 't');
    if (parts?.length !== 2) return undefined;
    const [createdAt, id] = parts;
    if (typeof createdAt !== 'string' || !TIMESTAMP.test(createdAt) || Number.isNaN(Date.parse(createdAt))) {
      return undefined;
    }
    return typeof id === 'string' && UUID.test(id) ? { createdAt, id } : undefined;
  },
};

/** A place in a result's passing records: how many of each dimension's records came before. */
export const resultCursor = {
  encode: (offset: number): string => encode(['r', offset]),
  decode: (cursor: string): number | undefined => {
    const parts = decode(cursor, 'r');
    if (parts?.length !== 1) return undefined;
    const [offset] = parts;
    return typeof offset === 'number' && Number.isSafeInteger(offset) && offset > 0 ? offset : undefined;
  },
};
