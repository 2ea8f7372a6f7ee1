import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { SecureContextOptions } from 'node:tls';
import type { AddressInfo, Socket } from 'node:net';
import type { RequestListener, ServerResponse } from 'node:http';
import { SignatoryError } from '@signatory-ts/core';
import { clientOf, ConnectionLimits, type RefusedBy } from './connection-limits';

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
  /** HTTPS only: new connections get this certificate/key/CA; open connections keep theirs. Undefined for plain HTTP. */
  readonly setSecureContext?: (context: SecureContextOptions) => void;
}

export interface ListenOptions {
  /** The setting the address came from (`server.address`), named in errors. */
  readonly setting?: string;
  /** Most connections open at once (ConnectionLimits: an idle one makes room first). */
  readonly maxConnections?: number;
  /** Most connections one client address may hold open (likewise). */
  readonly maxClientConnections?: number;
  /** A connection was closed on arrival: every one in the way of `by`'s cap was busy. */
  readonly onRefused?: (by: RefusedBy) => void;
  /**
   * Time a client has to send a whole request, headers and body, ms. A connection that sends
   * nothing, or a body that trickles, is answered 408 and closed after it. Handling time is not
   * counted: the app bounds that with its own deadline.
   */
  readonly readTimeoutMs?: number;
  /** Errors of the listening socket once bound (EMFILE on accept, …): reported here, never thrown. */
  readonly onError?: (e: Error) => void;
  /**
   * Serve HTTPS with these files (tls.ts loadTls); `mtls`: every client must present a certificate
   * that chains to `context.ca`, refused at the handshake otherwise.
   */
  readonly tls?: { readonly context: SecureContextOptions; readonly mtls: boolean };
  /** A TLS handshake that failed (plain HTTP to the TLS port, no client certificate, …); the connection is closed. */
  readonly onTlsError?: (e: Error, client: string) => void;
}

/** The soft open-files limit of this process (Linux), or undefined where it cannot be read. */
export function openFilesLimit(): number | undefined {
  try {
    const m = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return m === null || m[1] === 'unlimited' ? undefined : Number(m[1]);
  } catch {
    return undefined;
  }
}

/**
 * The connection cap of the signing listener: three quarters of the open-files limit less the
 * utility listener's connections, so the KMS client's sockets, watermark files and logs always
 * have descriptors left (an exhausted limit fails every consensus request, not just new clients).
 */
export function defaultMaxConnections(utilityConnections: number, limit = openFilesLimit()): number {
  return Math.max(16, Math.min(MAX_DEFAULT_CONNECTIONS, Math.floor((limit ?? 4096) * 0.75) - utilityConnections));
}

/** A ceiling for the default under a huge open-files limit (containers often have 1 048 576). */
const MAX_DEFAULT_CONNECTIONS = 10_000;

const LISTEN_ERRORS: Readonly<Record<string, string>> = {
  EADDRINUSE: 'the address is already in use: another process (another signatory?) listens there; stop it, or choose a free port',
  EACCES: 'permission denied: ports below 1024 need root or CAP_NET_BIND_SERVICE; choose a port above 1023',
  EADDRNOTAVAIL: 'no interface of this host has that address; use 127.0.0.1, 0.0.0.0 or one of its own addresses',
  ENOTFOUND: 'the host name does not resolve; use an IP address',
};

/** Binds `handler` to `address` and resolves once listening. */
export function listen(handler: RequestListener, address: string, options: ListenOptions = {}): Promise<Listening> {
  const { host, port } = parseListenAddress(address);
  let closing = false;
  // once closing, every response tells the client to close its connection, so keep-alive sockets end with their request
  const open = new Set<ServerResponse>();
  const readTimeout = options.readTimeoutMs ?? 5000;
  const limits = new ConnectionLimits(
    options.maxConnections ?? Number.POSITIVE_INFINITY,
    options.maxClientConnections ?? Number.POSITIVE_INFINITY,
    options.onRefused,
  );
  // Node checks request timeouts on this interval (default 30 s): check often enough that the timeout holds
  // HTTPS: the limits count TCP connections from their arrival, so a flood of connections that never
  // finish their handshake meets the same caps; requests arrive on the TLS socket wrapping one of them
  const tcpOf = new WeakMap<Socket, Socket>();
  const handshaking = new Map<string, Socket>();
  const peer = (s: Socket) => `${s.remoteAddress}|${s.remotePort}`;
  const counted = (s: Socket) => tcpOf.get(s) ?? s;
  const onRequest: RequestListener = (req, res) => {
    if (closing) res.setHeader('connection', 'close');
    open.add(res);
    const socket = counted(req.socket);
    limits.requestStarted(socket);
    res.on('close', () => {
      open.delete(res);
      limits.requestEnded(socket);
    });
    handler(req, res);
  };
  const serverOptions = { connectionsCheckingInterval: Math.min(1000, readTimeout) };
  const { tls } = options;
  const secure =
    tls === undefined
      ? undefined
      : createHttpsServer(
          {
            ...serverOptions,
            ...tls.context,
            // a client gets as long to finish its handshake as to send its request
            handshakeTimeout: readTimeout,
            ...(tls.mtls ? { requestCert: true, rejectUnauthorized: true } : {}),
          },
          onRequest,
        );
  const server: Server = secure ?? createServer(serverOptions, onRequest);
  server.requestTimeout = readTimeout;
  server.headersTimeout = readTimeout;
  // longer than clients keep idle sockets (Node's agent: 5 s), so a client never reuses a socket we just closed
  server.keepAliveTimeout = 65_000;
  server.on('connection', (s) => {
    if (!limits.admit(s) || secure === undefined) return;
    const key = peer(s);
    handshaking.set(key, s);
    s.once('close', () => handshaking.delete(key));
  });
  if (secure !== undefined) {
    secure.on('secureConnection', (s) => {
      const key = peer(s);
      const tcp = handshaking.get(key);
      if (tcp === undefined) return;
      handshaking.delete(key);
      tcpOf.set(s, tcp);
    });
    secure.on('tlsClientError', (e, s) => options.onTlsError?.(e, clientOf(s)));
  }
  return new Promise((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      const why = LISTEN_ERRORS[e.code ?? ''];
      const where = options.setting !== undefined ? ` (${options.setting})` : '';
      reject(why === undefined ? e : new SignatoryError('config_invalid', `cannot listen on ${address}${where}: ${why}`));
    });
    server.listen(port, host, () => {
      server.removeAllListeners('error');
      // an accept that fails (out of file descriptors) must not crash the signer: Node keeps listening
      server.on('error', (e) => options.onError?.(e));
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
          for (const s of limits.sockets) s.destroy();
        },
        ...(secure !== undefined ? { setSecureContext: (context: SecureContextOptions) => secure.setSecureContext(context) } : {}),
      });
    });
  });
}
