import { execFile } from 'node:child_process';
import { chmod, chown, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { freePort } from './net';

const run = promisify(execFile);

/** The newest installed PostgreSQL server's bin directory (Debian layout). */
async function binDirectory(): Promise<string> {
  const versions = (await readdir('/usr/lib/postgresql')).filter((name) => /^\d+$/.test(name));
  if (versions.length === 0) throw new Error('no PostgreSQL server under /usr/lib/postgresql');
  return join('/usr/lib/postgresql', versions.sort((a, b) => Number(a) - Number(b)).at(-1)!, 'bin');
}

/**
 * A private PostgreSQL cluster on a free loopback port, so a test may restart it under running apps
 * without touching the shared server. Trust authentication (any password), no fsync: a test's
 * throw-away database. Runs as the `postgres` OS user when started by root (the server refuses root).
 */
export class PostgresCluster {
  private constructor(
    private readonly bin: string,
    private readonly dir: string,
    readonly port: number,
  ) {}

  static async start(database: string): Promise<PostgresCluster> {
    const dir = await mkdtemp(join(tmpdir(), 'dataproc-pg-'));
    if (process.getuid?.() === 0) {
      const { stdout } = await run('id', ['-u', 'postgres']);
      const { stdout: gid } = await run('id', ['-g', 'postgres']);
      await chown(dir, Number(stdout), Number(gid));
    }
    await chmod(dir, 0o700);
    const cluster = new PostgresCluster(await binDirectory(), dir, await freePort());
    await cluster.ctl('initdb', ['-D', dir, '-U', 'postgres', '--auth=trust', '--no-sync']);
    await cluster.pgCtl('start');
    const client = new Client({ host: '127.0.0.1', port: cluster.port, user: 'postgres', database: 'postgres' });
    await client.connect();
    try {
      await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`);
    } finally {
      await client.end();
    }
    return cluster;
  }

  /** Stops the server (fast: every session ends, as in a real restart) and starts it again. */
  restart(): Promise<void> {
    return this.pgCtl('restart', ['-m', 'fast']);
  }

  async stop(): Promise<void> {
    await this.pgCtl('stop', ['-m', 'immediate']).catch(() => undefined);
    await rm(this.dir, { recursive: true, force: true });
  }

  private pgCtl(action: string, extra: string[] = []): Promise<void> {
    const options = `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300`;
    return this.ctl('pg_ctl', [
      action,
      '-D',
      this.dir,
      '-w',
      '-l',
      join(this.dir, 'server.log'),
      '-o',
      options,
      ...extra,
    ]);
  }

  private async ctl(tool: string, args: string[]): Promise<void> {
    const command = join(this.bin, tool);
    if (process.getuid?.() === 0) await run('runuser', ['-u', 'postgres', '--', command, ...args]);
    else await run(command, args);
  }
}
