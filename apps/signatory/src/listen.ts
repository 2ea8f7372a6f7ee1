import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { RequestListener, ServerResponse } from 'node:http';

/** `host:port` (host empty = every interface, `[v6]` bracketed) -> what net.listen takes. */
export function parseListenAddress(text: string): { host: string | undefined; port: number } {
  const i = text.lastIndexOf(':');
  const host = text.slice(0, i).replace(/^\[(.*)\]$/, '$1');
  return { host: host === '' ? undefined : host, port: Number(text.slice(i + 1)) };
}

export interface Listening {
  readonly server: Server;
  /** `host:port` actually bound (the port is the real one when 0 was asked). */
  readonly address: string;
  readonly port: number;
  /** Stops accepting, lets requests in flight finish, then drops idle keep-alive connections. */
  close(): Promise<void>;
  /** Drops every connection now. */
  destroy(): void;
}

/** Binds `handler` to `address` and resolves once listening. */
export function listen(handler: RequestListener, address: string): Promise<Listening> {
  const { host, port } = parseListenAddress(address);
  let closing = false;
  // once closing, every response tells the client to close its connection, so keep-alive sockets end with their request
  const open = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    if (closing) res.setHeader('connection', 'close');
    open.add(res);
    res.on('close', () => open.delete(res));
    handler(req, res);
  });
  // no timeout on requests here: the app enforces its own request deadline
  // longer than clients keep idle sockets (Node's agent: 5 s), so a client never reuses a socket we just closed
  server.keepAliveTimeout = 65_000;
  const sockets = new Set<Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const a = server.address() as AddressInfo;
      const shown = a.family === 'IPv6' ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;
      resolve({
        server,
        address: shown,
        port: a.port,
        close: () =>
          new Promise<void>((done) => {
            // connections that finish their request while we wait become idle: drop them as they do
            closing = true;
            for (const res of open) if (!res.headersSent) res.setHeader('connection', 'close');
            const sweep = setInterval(() => server.closeIdleConnections(), 50);
            server.close(() => {
              clearInterval(sweep);
              done();
            });
            server.closeIdleConnections();
          }),
        destroy: () => {
          for (const s of sockets) s.destroy();
        },
      });
    });
  });
}
