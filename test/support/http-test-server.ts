import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Route = (request: IncomingMessage, response: ServerResponse, base: string) => void;

/** A real HTTP server on a free loopback port (127.0.0.1 unless told another), answering by path; for tests of HTTP clients. */
export class HttpTestServer {
  readonly hits: string[] = [];
  private server: Server | undefined;
  base = '';

  constructor(private readonly routes: Record<string, Route>) {}

  async start(host = '127.0.0.1'): Promise<string> {
    this.server = createServer((request, response) => {
      const url = new URL(request.url ?? '/', this.base);
      this.hits.push(`${url.pathname}${url.search}`);
      const route = this.routes[url.pathname];
      if (route) route(request, response, this.base);
      else response.writeHead(404).end('not found');
    });
    await new Promise<void>((resolve) => this.server?.listen(0, host, resolve));
    const { port } = this.server.address() as AddressInfo;
    this.base = `http://${host}:${port}`;
    return this.base;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }
}

export function json(response: ServerResponse, body: unknown, headers: Record<string, string> = {}): void {
  response.writeHead(200, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}

/** The whole body of a request, as text. */
export async function bodyOf(request: IncomingMessage): Promise<string> {
  let body = '';
  request.setEncoding('utf8');
  for await (const chunk of request) body += chunk as string;
  return body;
}
