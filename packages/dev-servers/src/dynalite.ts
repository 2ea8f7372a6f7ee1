import { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface DynaliteServer {
  /** `http://127.0.0.1:<port>`: the endpoint a DynamoDB client is given. */
  readonly endpoint: string;
  /**
   * Stops answering, as an outage would: the listener is closed and open connections are cut; the
   * tables and items stay in memory. `resume()` listens again on the same port.
   */
  pause(): Promise<void>;
  resume(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts dynalite (a DynamoDB emulator with real conditional writes) in memory on 127.0.0.1, on a free port. */
export async function startDynalite(): Promise<DynaliteServer> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- dynalite ships no types
  const dynalite = require('dynalite') as (options: Record<string, unknown>) => Server;
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  // dynalite's own close() also closes its in-memory database (the data would be gone): pause with
  // the plain HTTP server's close, which only stops listening
  const close = (closeServer: (cb: () => void) => void) => () =>
    new Promise<void>((resolve) => {
      if (!server.listening) return resolve();
      closeServer(() => resolve());
      server.closeAllConnections();
    });
  await listen(0);
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    pause: close((cb) => Server.prototype.close.call(server, cb)),
    resume: () => listen(port),
    stop: close((cb) => server.close(cb)),
  };
}
