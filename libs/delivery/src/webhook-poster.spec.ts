import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DeliveryError } from './delivery.types';
import { postWebhook } from './webhook-poster';

describe(postWebhook.name, () => {
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
  const failure = (promise: Promise<void>) =>
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
    await postWebhook(
      { url, headers: { 'content-type': 'application/x-ndjson', 'x-event-id': 'e1' }, body: pieces() },
      signal(),
    );
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
  ])('classifies a %i answer as retryable: %s', async (status, retryable) => {
    answer = (_request, response) => response.writeHead(status, { 'retry-after': '7' }).end('no');
    const error = await failure(postWebhook({ url, headers: {}, body: 'x' }, signal()));
    expect(error).toBeInstanceOf(DeliveryError);
    expect(error).toMatchObject({ retryable, retryAfterMs: 7000, message: `POST ${url} answered ${status}` });
  });

  it('treats a receiver that cannot be reached as retryable', async () => {
    const error = await failure(postWebhook({ url: 'http://127.0.0.1:1/hook', headers: {}, body: 'x' }, signal()));
    expect(error).toMatchObject({ retryable: true, message: expect.stringContaining('failed') });
  });
});
