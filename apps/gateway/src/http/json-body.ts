import type { FastifyInstance } from 'fastify';

/** `application/json` and the structured-syntax types built on it (`application/problem+json`, …), parameters or not. */
const JSON_TYPES = ['application/json', /^application\/[\w.!#$&^-]+\+json(?:\s*;.*)?$/i] as const;

/**
 * Parses JSON bodies the way real clients send them: Fastify's own parser (prototype-poisoning
 * checks, 400 on malformed JSON) for every JSON media type, charset parameter or not, and an empty
 * body as no body. Many clients (axios, fetch wrappers, API tools) send `Content-Type:
 * application/json` on a DELETE or a body-less POST; Fastify would refuse that with a 400.
 */
export function parseJsonBodies(fastify: FastifyInstance): void {
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  fastify.removeContentTypeParser('application/json');
  for (const type of JSON_TYPES) {
    fastify.addContentTypeParser(type, { parseAs: 'string' }, (request, body, done) => {
      const text = body.toString();
      if (text.trim() === '') return done(null, undefined);
      void parseJson(request, text, done);
    });
  }
}
