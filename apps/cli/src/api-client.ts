/** What the gateway answered: status and parsed JSON body (or text). */
export interface ApiAnswer {
  status: number;
  body: unknown;
  text: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** The gateway's REST API as the CLI uses it: base URL and, when the deployment has keys, an API key. */
export class ApiClient {
  constructor(
    private readonly baseUrl: string,
    private readonly apiKey: string | undefined,
  ) {}

  async request(method: string, path: string, body?: unknown): Promise<ApiAnswer> {
    const headers: Record<string, string> = {};
    if (this.apiKey) headers.authorization = `Bearer ${this.apiKey}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${this.baseUrl.replace(/\/+$/, '')}/api/v1${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // Not JSON (an export as CSV): keep the text.
    }
    return { status: response.status, body: parsed, text };
  }

  /** The answer when its status is one of `ok`, else an ApiError with the gateway's message. */
  async expect(method: string, path: string, ok: number[], body?: unknown): Promise<ApiAnswer> {
    const answer = await this.request(method, path, body);
    if (!ok.includes(answer.status)) throw new ApiError(answer.status, errorMessage(answer));
    return answer;
  }
}

function errorMessage(answer: ApiAnswer): string {
  const body = answer.body as { message?: unknown } | undefined;
  const message = body && typeof body === 'object' && 'message' in body ? body.message : answer.text;
  return `${answer.status}: ${Array.isArray(message) ? message.join('; ') : String(message)}`;
}
