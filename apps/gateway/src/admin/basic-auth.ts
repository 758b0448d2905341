import type { FastifyInstance } from 'fastify';
import { timingSafeEqual } from 'node:crypto';
import { sha256 } from '../auth';

export interface AdminCredentials {
  user: string;
  password: string;
}

/** Whether an Authorization header carries exactly these Basic credentials (compared in constant time). */
export function basicAuthMatches(header: string | undefined, credentials: AdminCredentials): boolean {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!match) return false;
  const given = Buffer.from(match[1], 'base64').toString('utf8');
  // Digests have one length, so timingSafeEqual applies whatever was sent.
  return timingSafeEqual(sha256(given), sha256(`${credentials.user}:${credentials.password}`));
}

/**
 * Puts everything under `prefix` (the dashboard's page, assets and API) behind HTTP Basic
 * authentication; a browser asks for the login on the 401.
 */
export function requireBasicAuth(fastify: FastifyInstance, prefix: string, credentials: AdminCredentials): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    const path = request.url.split('?')[0];
    if (
      (path !== prefix && !path.startsWith(`${prefix}/`)) ||
      basicAuthMatches(request.headers.authorization, credentials)
    ) {
      done();
      return;
    }
    void reply
      .code(401)
      .header('WWW-Authenticate', 'Basic realm="dataproc queues", charset="UTF-8"')
      .send({ statusCode: 401, error: 'Unauthorized', message: 'The queue dashboard needs the admin login' });
  });
}
