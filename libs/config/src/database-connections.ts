/** The engines a `database` source can read. */
export type DatabaseEngine = 'postgres' | 'mysql';

const ENGINES: Record<string, DatabaseEngine> = {
  'postgres:': 'postgres',
  'postgresql:': 'postgres',
  'mysql:': 'mysql',
  'mariadb:': 'mysql',
};

export interface DatabaseConnection {
  engine: DatabaseEngine;
  url: string;
}

/**
 * DATA_SOURCE_CONNECTIONS: a JSON object of connection name → URL (postgres://, postgresql://,
 * mysql://, mariadb://). Requests name a connection; the URL and its credentials never leave the server.
 * Throws a message naming the bad entry.
 */
export function parseConnections(json: string): Map<string, DatabaseConnection> {
  const connections = new Map<string, DatabaseConnection>();
  if (json.trim() === '') return connections;
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new Error('must be a JSON object of connection name to URL');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error('must be a JSON object of connection name to URL');
  }
  for (const [name, value] of Object.entries(parsed)) {
    if (typeof value !== 'string') throw new Error(`connection "${name}" must be a URL string`);
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw new Error(`connection "${name}" is not a URL`);
    }
    const engine = ENGINES[url.protocol];
    if (!engine) throw new Error(`connection "${name}" must be postgres://, postgresql://, mysql:// or mariadb://`);
    if (engine === 'mysql') url.protocol = 'mysql:';
    connections.set(name, { engine, url: url.href });
  }
  return connections;
}
