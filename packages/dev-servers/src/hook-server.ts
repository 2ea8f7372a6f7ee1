import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the hook received, as sent. */
export interface HookRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** What the hook answers: a status (reason phrase optional), an optional body, optional headers. */
export interface HookAnswer {
  readonly status: number;
  readonly statusText?: string;
  readonly body?: string | Buffer;
  readonly headers?: Record<string, string>;
}

/** `hang`: accept the request and never answer (the connection stays open until stop). */
export type HookHandler = (req: HookRequest) => HookAnswer | 'hang' | Promise<HookAnswer | 'hang'>;

export interface HookServer {
  /** `http://127.0.0.1:<port>/hook`: the policy_hook.address to configure. */
  readonly url: string;
  /** `http://127.0.0.1:<port>`, for other paths (a redirect target). */
  readonly origin: string;
  /** Every request received, in order. */
  readonly requests: HookRequest[];
  /** Replaces the handler (the initial one answers 204). */
  answer(handler: HookHandler): void;
  stop(): Promise<void>;
}

/**
 * A remote policy hook for tests and demos: a real HTTP server on 127.0.0.1 that records every
 * request and answers what the test tells it to.
 */
export async function startHookServer(handler: HookHandler = () => ({ status: 204 })): Promise<HookServer> {
  let current = handler;
  const requests: HookRequest[] = [];
  const hanging = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r: HookRequest = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) };
      requests.push(r);
      Promise.resolve()
        .then(() => current(r))
        .then(
          (a) => {
            if (a === 'hang') {
              hanging.add(res);
              return;
            }
            if (a.statusText !== undefined) res.writeHead(a.status, a.statusText, a.headers ?? {});
            else res.writeHead(a.status, a.headers ?? {}); // Node's reason phrase: 403 Forbidden
            res.end(a.body);
          },
          (e: Error) => {
            res.writeHead(500);
            res.end(e.message);
          },
        );
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  return {
    url: `${origin}/hook`,
    origin,
    requests,
    answer(h) {
      current = h;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const res of hanging) res.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
