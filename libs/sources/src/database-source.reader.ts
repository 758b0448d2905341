import { Client } from 'pg';
import Cursor from 'pg-cursor';
import { createConnection, type Connection as MysqlConnection } from 'mysql2';
import type { DatabaseConnection } from '@app/config';
import { ProviderError, type SourceRecord } from '@app/contracts';
import type { LiveSourceSpec, SourceLimits } from './live-source';
import { RecordBatcher } from './record-mapper';
import { selectQueryProblem } from './select-query';
import { toSourceError } from './source-errors';

export interface DatabaseSourceLimits extends SourceLimits {
  /** Limit of one statement on the server (each cursor fetch is one). */
  statementTimeoutMs: number;
}

/**
 * A `database` source: one SELECT on a connection configured on the server, run in a read-only
 * transaction with a statement timeout, read through a cursor (Postgres) or a row stream (MySQL,
 * MariaDB) one batch at a time, so a table of any size passes through in constant memory.
 */
export class DatabaseSourceReader {
  constructor(
    private readonly connections: ReadonlyMap<string, DatabaseConnection>,
    private readonly limits: DatabaseSourceLimits,
  ) {}

  async *read(source: LiveSourceSpec, signal: AbortSignal): AsyncGenerator<SourceRecord[]> {
    const connection = source.connection === undefined ? undefined : this.connections.get(source.connection);
    if (!connection) {
      throw new ProviderError(`source ${source.id}: no connection named "${source.connection}" is configured`, {
        retryable: false,
      });
    }
    const problem = source.query === undefined ? 'is missing' : selectQueryProblem(source.query);
    if (problem !== undefined || source.query === undefined) {
      throw new ProviderError(`source ${source.id}: query ${problem}`, { retryable: false });
    }
    const batcher = new RecordBatcher(source, this.limits);
    const rows =
      connection.engine === 'postgres'
        ? this.postgres(connection.url, source.query, signal)
        : this.mysql(connection.url, source.query, signal);
    try {
      for await (const raw of rows) {
        const batch = batcher.add(raw);
        if (batch) yield batch;
      }
      const rest = batcher.flush();
      if (rest.length > 0) yield rest;
    } catch (error) {
      throw toSourceError(source.id, signal.aborted ? signal.reason : error);
    }
  }

  private async *postgres(url: string, query: string, signal: AbortSignal): AsyncGenerator<unknown> {
    signal.throwIfAborted();
    const client = new Client({ connectionString: url, application_name: 'dataproc-collector' });
    client.on('error', () => undefined);
    const onAbort = (): void => void client.end().catch(() => undefined);
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      await client.connect();
      await client.query('BEGIN TRANSACTION READ ONLY');
      await client.query(`SET LOCAL statement_timeout = ${Math.round(this.limits.statementTimeoutMs)}`);
      const cursor = client.query(new Cursor(query));
      for (;;) {
        const rows = (await cursor.read(this.limits.batchSize)) as unknown[];
        if (rows.length === 0) break;
        yield* rows;
      }
      await cursor.close();
      await client.query('ROLLBACK');
    } finally {
      signal.removeEventListener('abort', onAbort);
      await client.end().catch(() => undefined);
    }
  }

  private async *mysql(url: string, query: string, signal: AbortSignal): AsyncGenerator<unknown> {
    signal.throwIfAborted();
    const connection = createConnection({
      uri: url,
      dateStrings: true,
      supportBigNumbers: true,
      bigNumberStrings: true,
    });
    connection.on('error', () => undefined);
    const onAbort = (): void => connection.destroy();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      const [{ version }] = (await run(connection, 'SELECT VERSION() AS version')) as { version: string }[];
      const seconds = this.limits.statementTimeoutMs / 1000;
      // MariaDB and MySQL name the statement limit differently (seconds vs. milliseconds).
      await run(
        connection,
        /mariadb/i.test(version)
          ? `SET SESSION max_statement_time = ${seconds}`
          : `SET SESSION max_execution_time = ${Math.round(this.limits.statementTimeoutMs)}`,
      );
      await run(connection, 'START TRANSACTION READ ONLY');
      const stream = connection.query(query).stream({ highWaterMark: this.limits.batchSize });
      for await (const row of stream) yield row;
      await run(connection, 'ROLLBACK');
    } finally {
      signal.removeEventListener('abort', onAbort);
      connection.destroy();
    }
  }
}

function run(connection: MysqlConnection, sql: string): Promise<unknown> {
  return new Promise((resolve, reject) =>
    connection.query(sql, (error, rows) => (error ? reject(error) : resolve(rows))),
  );
}
