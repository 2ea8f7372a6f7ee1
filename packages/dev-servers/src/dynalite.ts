import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface DynaliteServer {
  /** `http://127.0.0.1:<port>`: the endpoint a DynamoDB client is given. */
  readonly endpoint: string;
  stop(): Promise<void>;
}

/** Starts dynalite (a DynamoDB emulator with real conditional writes) in memory on 127.0.0.1, on a free port. */
export async function startDynalite(): Promise<DynaliteServer> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- dynalite ships no types
  const dynalite = require('dynalite') as (options: Record<string, unknown>) => Server;
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
