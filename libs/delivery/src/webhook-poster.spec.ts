import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AllowedHosts, OutboundGuard, OutboundHttpClient } from '@app/outbound';
import { DeliveryError } from './delivery.types';
import { postWebhook, signature } from './webhook-poster';

describe(postWebhook.name, () => {
  // The test receiver is on loopback, which the guard refuses unless it is allowed.
  const http = new OutboundHttpClient(new OutboundGuard(AllowedHosts.parse('127.0.0.1')));
  const strict = new OutboundHttpClient(new OutboundGuard(AllowedHosts.parse('')));
  let server: Server;
  let url: string;
  let answer: (request: IncomingMessage, response: ServerResponse, body: string) => void;
  const received: { headers: IncomingMessage['headers']; body: string }[] = [];

  beforeAll(async () => {
    server = createServer((request, response) => {
      let body = '';
      request.setEncoding('utf8');
      request.on('data', (chunk: string) => (body += chunk));
      request.on('end', () => {
        received.push({ headers: request.headers, body });
        answer(request, response, body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => (received.length = 0));

  const signal = () => new AbortController().signal;
  const failure = (promise: Promise<unknown>) =>
    promise.then(
      () => undefined,
      (error: unknown) => error,
    );

  it('streams the body with the headers and resolves on a 2xx', async () => {
    answer = (_request, response) => response.writeHead(204).end();
    async function* pieces() {
      yield '{"a":1}\n';
      yield '{"a":2}\n';
    }
    const receipt = await postWebhook(
      http,
      { url, headers: { 'content-type': 'application/x-ndjson', 'x-event-id': 'e1' }, body: pieces() },
      signal(),
    );
    expect(receipt).toEqual({ httpStatus: 204 });
    expect(received).toEqual([
      expect.objectContaining({
        body: '{"a":1}\n{"a":2}\n',
        headers: expect.objectContaining({
          'content-type': 'application/x-ndjson',
          'x-event-id': 'e1',
          'transfer-encoding': 'chunked',
        }),
      }),
    ]);
  });

  it.each([
    [500, true],
    [503, true],
    [408, true],
    [429, true],
    [400, false],
    [404, false],
    [301, false],
    [307, false],
  ])('classifies a %i answer as retryable: %s', async (status, retryable) => {
    answer = (_request, response) => response.writeHead(status, { 'retry-after': '7' }).end('no');
    const error = await failure(postWebhook(http, { url, headers: {}, body: 'x' }, signal()));
    expect(error).toBeInstanceOf(DeliveryError);
    expect(error).toMatchObject({
      retryable,
      retryAfterMs: 7000,
      httpStatus: status,
      message: `POST ${url} answered ${status}`,
    });
  });

  it('treats a receiver that cannot be reached as retryable', async () => {
    const error = await failure(
      postWebhook(http, { url: 'http://127.0.0.1:1/hook', headers: {}, body: 'x' }, signal()),
    );
    expect(error).toMatchObject({ retryable: true, message: expect.stringContaining('failed') });
  });

  it('sends nothing to a destination the guard refuses, and gives up on it at once', async () => {
    answer = (_request, response) => response.writeHead(204).end();
    const error = await failure(postWebhook(strict, { url, headers: {}, body: 'x' }, signal()));
    expect(error).toBeInstanceOf(DeliveryError);
    expect(error).toMatchObject({
      retryable: false,
      message: expect.stringContaining('refused to connect to loopback address 127.0.0.1'),
    });
    expect(received).toEqual([]);
  });

  it('does not follow a redirect, so a receiver cannot send the body on to another host', async () => {
    answer = (_request, response) => response.writeHead(307, { location: 'http://127.0.0.1:1/elsewhere' }).end();
    const error = await failure(postWebhook(http, { url, headers: {}, body: 'x' }, signal()));
    expect(error).toMatchObject({ retryable: false, httpStatus: 307 });
    expect(received).toHaveLength(1);
  });
});

describe(signature.name, () => {
  it('is the hex HMAC-SHA256 of the body with the secret (RFC 4231 test case 2)', () => {
    expect(signature('Jefe', 'what do ya want for nothing?')).toBe(
      'sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    );
  });
});
