import { createHash } from 'node:crypto';
import { Client } from 'pg';
import type { QueryConfig } from 'pg';

/**
 * Statements one connection keeps prepared at most. Our statements are a few dozen fixed texts; the
 * cap only guards against texts built with a varying number of placeholders (an IN list), which then
 * simply go unprepared.
 */
export const MAX_PREPARED_PER_CONNECTION = 1_000;

const names = new Map<string, string>();

/**
 * The statement's name on a connection: the same text gets the same name, on every connection. Names
 * are remembered (hashing the text on every query cost more than the rest of this class).
 */
export function statementName(text: string): string {
  let name = names.get(text);
  if (name === undefined) {
    name = `s_${createHash('sha1').update(text).digest('hex')}`;
    if (names.size < MAX_PREPARED_PER_CONNECTION) names.set(text, name);
  }
  return name;
}

// node-postgres's query() has a dozen overloads; the override passes them all through unchanged.
const clientQuery = Reflect.get(Client.prototype, 'query') as (this: Client, ...args: unknown[]) => never;

/**
 * A node-postgres client that runs every parameterised query as a named prepared statement, parsed
 * and planned once per connection instead of on every call (ADR 18: planning alone was a quarter of
 * Postgres's CPU in the pipeline benchmark). TypeORM's raw queries and its query builder both pass
 * (text, values), so all of them gain. Postgres re-plans a statement by itself after a schema change;
 * a pooler in transaction mode (PgBouncer before 1.21) cannot keep prepared statements:
 * DATABASE_PREPARED_STATEMENTS=false turns this off for it.
 */
export class PreparingClient extends Client {
  private readonly prepared = new Set<string>();

  override query(...args: unknown[]): never {
    const [text, values, callback] = args;
    // pg-pool's query() passes a callback; TypeORM's query runner does not.
    if (typeof text === 'string' && Array.isArray(values) && values.length > 0 && args.length <= 3) {
      const name = statementName(text);
      if (this.prepared.has(name) || this.prepared.size < MAX_PREPARED_PER_CONNECTION) {
        this.prepared.add(name);
        const config: QueryConfig = { name, text, values };
        return typeof callback === 'function'
          ? clientQuery.call(this, config, callback)
          : clientQuery.call(this, config);
      }
    }
    return clientQuery.apply(this, args);
  }
}
