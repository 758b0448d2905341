/**
 * The ingest scenario's reference: what POST /api/v1/tasks costs at the least on this machine. A bare
 * node:http server that parses the body, does the gateway's single-row INSERT and its Bull add (same
 * queue, job name, job id and default job options; the gateway also gives the job its task's priority,
 * 2 for a normal task, which this leaves out), and answers 202 — no framework, no validation, no logging.
 * Started as a process of its own by the bench with the apps' DATABASE_* / REDIS_* / QUEUE_PREFIX / PORT.
 */
import Bull from 'bull';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { Pool } from 'pg';
import { jobIds, JobName, QueueName } from '@app/contracts';

const env = (name: string, fallback: string): string => process.env[name] || fallback;

const pool = new Pool({
  host: env('DATABASE_HOST', '127.0.0.1'),
  port: Number(env('DATABASE_PORT', '5432')),
  user: env('DATABASE_USER', 'postgres'),
  password: env('DATABASE_PASSWORD', 'postgres'),
  database: env('DATABASE_NAME', 'dataproc_bench'),
  max: Number(env('DATABASE_POOL_SIZE', '10')),
});
// The job options of libs/pipeline's QueuesModule with the default settings.
const queue = new Bull(QueueName.COLLECT, {
  redis: { host: env('REDIS_HOST', '127.0.0.1'), port: Number(env('REDIS_PORT', '6379')) },
  prefix: env('QUEUE_PREFIX', 'dataproc'),
  defaultJobOptions: {
    attempts: 5,
    backoff: { type: 'exponential', delay: 1000 },
    removeOnComplete: { age: 3_600, count: 50_000 },
    removeOnFail: { age: 7 * 86_400 },
  },
});

const server = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    void (async () => {
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString()) as { data_sources: unknown[]; dimensions: unknown[] };
        const id = randomUUID();
        await pool.query(
          `INSERT INTO tasks (id, status, stage, spec, sources_total, dimensions_total, owner)
           VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7)`,
          [id, 'pending', 'collect', JSON.stringify(body), body.data_sources.length, body.dimensions.length, null],
        );
        await queue.addBulk([
          { name: JobName.COLLECT_TASK, data: { taskId: id }, opts: { jobId: jobIds.collect(id) } },
        ]);
        const url = `/api/v1/tasks/${id}`;
        response.writeHead(202, { 'content-type': 'application/json', location: url });
        response.end(JSON.stringify({ id, status: 'pending', url }));
      } catch (error) {
        response.writeHead(500, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ error: String(error) }));
      }
    })();
  });
});

server.listen(Number(env('PORT', '3900')), '127.0.0.1', () => console.log('bare ingest reference listening'));
for (const signal of ['SIGTERM', 'SIGINT'] as const)
  process.once(signal, () => {
    server.close();
    void Promise.all([pool.end(), queue.close()]).then(() => process.exit(0));
  });
