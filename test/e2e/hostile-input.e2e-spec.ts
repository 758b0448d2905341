import type { DataSource } from 'typeorm';
import { EXAMPLE_TASK } from '@app/contracts';
import { openTestDataSource } from '../support/database';
import { rawRequest } from './support/raw-http';
import { TestSystem } from './support/test-system';

/** What no answer may show: internal hosts and ports, driver codes, SQL, stack frames. */
const INTERNALS = /127\.0\.0\.1|localhost:\d|ECONNREFUSED|\bSELECT\b|\bINSERT\b|\bUPDATE\b|\s+at \S+ \(|\.js:\d+:\d+/;

/**
 * The gateway alone, sent requests byte for byte as curl, axios, Python requests and browsers send
 * them, and text Postgres cannot store: every shape a real client sends works, bad text gets a 400
 * naming the field and stores nothing, and no answer shows internals.
 */
describe('requests as real clients send them, and unstorable text', () => {
  let system: TestSystem;
  let db: DataSource;
  const body = JSON.stringify(EXAMPLE_TASK);
  const length = (text: string): string => `Content-Length: ${Buffer.byteLength(text)}`;

  beforeAll(async () => {
    system = await TestSystem.start({ replicas: { collector: 0, evaluator: 0, 'result-generator': 0 } });
    db = await openTestDataSource();
  }, 90_000);

  afterAll(async () => {
    await system?.stop();
    await db?.destroy();
  }, 30_000);

  const countTasks = async (): Promise<number> => (await db.query('SELECT count(*)::int AS count FROM tasks'))[0].count;
  const send = async (head: string[], payload = ''): Promise<{ status: number; body: any; text: string }> => {
    const response = await rawRequest(system.baseUrl, head, payload);
    expect(response.body).not.toMatch(INTERNALS);
    let parsed: unknown;
    try {
      parsed = JSON.parse(response.body);
    } catch {
      parsed = undefined;
    }
    return { status: response.status, body: parsed, text: response.body };
  };

  it.each([
    ['curl -X DELETE -H "Content-Type: application/json"', ['User-Agent: curl/8.5.0', 'Accept: */*']],
    [
      'axios delete with a JSON content type',
      [
        'Accept: application/json, text/plain, */*',
        'User-Agent: axios/1.7.7',
        'Accept-Encoding: gzip, compress, deflate, br',
      ],
    ],
    [
      'Python requests.delete(url, headers=json)',
      ['User-Agent: python-requests/2.32.3', 'Accept-Encoding: gzip, deflate', 'Accept: */*', 'Content-Length: 0'],
    ],
  ])(
    'cancels with %s and no body',
    async (_client, headers) => {
      const id = await system.submit(EXAMPLE_TASK);
      const response = await send([
        `DELETE /api/v1/tasks/${id} HTTP/1.1`,
        'Content-Type: application/json',
        ...headers,
      ]);
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ id, status: 'cancelled' });
    },
    30_000,
  );

  it.each([
    ['a browser fetch (charset without a space)', 'application/json;charset=UTF-8'],
    ['Python requests (json=)', 'application/json'],
    ['a charset parameter with a space, upper case', 'Application/JSON; charset=utf-8'],
    ['a structured-syntax JSON type', 'application/vnd.api+json'],
    ['a structured-syntax JSON type with a charset', 'application/merge-patch+json; charset=utf-8'],
  ])(
    'accepts a task sent by %s',
    async (_client, type) => {
      const response = await send(
        ['POST /api/v1/tasks HTTP/1.1', `Content-Type: ${type}`, length(body), 'Origin: http://example.test'],
        body,
      );
      expect(response.status).toBe(202);
      expect(response.body).toMatchObject({ status: 'pending' });
    },
    30_000,
  );

  it('answers a body-less POST with a JSON content type with 400, not a parser error, and stores nothing', async () => {
    const before = await countTasks();
    for (const head of [
      ['POST /api/v1/tasks HTTP/1.1', 'Content-Type: application/json', 'Content-Length: 0'],
      ['POST /api/v1/tasks HTTP/1.1', 'Content-Type: application/json; charset=utf-8'],
    ]) {
      const response = await send(head);
      expect(response.status).toBe(400);
      expect(response.body.message).toMatch(/must be a JSON object/);
    }
    expect(await countTasks()).toBe(before);
  }, 30_000);

  it.each([
    ['NUL in a value', '"name":"quality\\u0000"', 'dimensions[0].name'],
    ['an unpaired high surrogate', '"name":"\\ud800"', 'dimensions[0].name'],
    ['an unpaired low surrogate', '"name":"x\\udc00y"', 'dimensions[0].name'],
    ['a reversed surrogate pair', '"name":"\\udc00\\ud800"', 'dimensions[0].name'],
  ])(
    'refuses %s with 400 naming the field, storing nothing',
    async (_case, nameJson, field) => {
      const text = body.replace(/"name":"[^"]*"/, nameJson);
      const before = await countTasks();
      const response = await send(
        ['POST /api/v1/tasks HTTP/1.1', 'Content-Type: application/json', length(text)],
        text,
      );
      expect(response.status).toBe(400);
      expect(response.body.fields).toEqual([{ field, reasons: [expect.stringMatching(/NUL|surrogate/)] }]);
      expect(await countTasks()).toBe(before);
    },
    30_000,
  );

  it('refuses NUL in a string deep inside free-form fields and in a key', async () => {
    const before = await countTasks();
    const task = {
      ...EXAMPLE_TASK,
      data_sources: [{ ...EXAMPLE_TASK.data_sources[0], connection: 'db\u0000' }, EXAMPLE_TASK.data_sources[1]],
    };
    const deep = JSON.stringify(task);
    const deepAnswer = await send(
      ['POST /api/v1/tasks HTTP/1.1', 'Content-Type: application/json', length(deep)],
      deep,
    );
    expect(deepAnswer.status).toBe(400);
    expect(deepAnswer.body.fields.map((entry: { field: string }) => entry.field)).toEqual([
      'data_sources[0].connection',
    ]);
    const key = body.replace('"llm_config"', '"llm\\u0000config"');
    const keyAnswer = await send(['POST /api/v1/tasks HTTP/1.1', 'Content-Type: application/json', length(key)], key);
    expect(keyAnswer.status).toBe(400);
    expect(await countTasks()).toBe(before);
  }, 30_000);

  it('answers malformed JSON, a wrong media type and unknown ids with 4xx that show no internals', async () => {
    const broken = '{"data_sources": [';
    const malformed = await send(
      ['POST /api/v1/tasks HTTP/1.1', 'Content-Type: application/json', length(broken)],
      broken,
    );
    expect(malformed.status).toBe(400);
    const form = 'a=1';
    const wrongType = await send(
      ['POST /api/v1/tasks HTTP/1.1', 'Content-Type: application/x-www-form-urlencoded', length(form)],
      form,
    );
    expect(wrongType.status).toBe(415);
    const nulId = await send(['GET /api/v1/tasks/%00 HTTP/1.1', 'Accept: application/json']);
    expect(nulId.status).toBe(400);
    const surrogateId = await send(['GET /api/v1/tasks/%ED%A0%80 HTTP/1.1', 'Accept: application/json']);
    expect(surrogateId.status).toBe(400);
  }, 30_000);
});
