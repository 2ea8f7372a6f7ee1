import { createServer, type IncomingHttpHeaders, type RequestListener, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
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

export interface HookServerOptions {
  /** Serve https with this certificate and key (PEM); the URLs are then https://. */
  readonly tls?: { readonly cert: string | Buffer; readonly key: string | Buffer };
}

export interface HookServer {
  /** `http://127.0.0.1:<port>/hook` (`https://` with `tls`): the policy_hook.address to configure. */
  readonly url: string;
  /** `http://127.0.0.1:<port>` (or `https://`), for other paths (a redirect target). */
  readonly origin: string;
  /** Every request received, in order. */
  readonly requests: HookRequest[];
  /** Replaces the handler (the initial one answers 204). */
  answer(handler: HookHandler): void;
  stop(): Promise<void>;
}

/**
 * A remote policy hook for tests and demos: a real HTTP (or, with `tls`, HTTPS) server on 127.0.0.1
 * that records every request and answers what the test tells it to.
 */
export async function startHookServer(
  handler: HookHandler = () => ({ status: 204 }),
  options: HookServerOptions = {},
): Promise<HookServer> {
  let current = handler;
  const requests: HookRequest[] = [];
  const hanging = new Set<ServerResponse>();
  const listener: RequestListener = (req, res) => {
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
  };
  const server =
    options.tls !== undefined ? createHttpsServer({ cert: options.tls.cert, key: options.tls.key }, listener) : createServer(listener);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const origin = `${options.tls !== undefined ? 'https' : 'http'}://127.0.0.1:${port}`;
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
