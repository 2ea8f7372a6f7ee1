import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the proxy does with one request: forward it, answer with an AWS error, or never answer. */
export type Fault = undefined | 'stall' | { readonly status: number; readonly type: string; readonly message: string };

export interface SeenRequest {
  /** DynamoDB operation (`PutItem`, `DescribeTable`, …), from X-Amz-Target. */
  readonly operation: string;
  readonly authorization: string;
}

export interface FaultProxy {
  readonly endpoint: string;
  readonly seen: SeenRequest[];
  /** Decides per operation; forwards everything by default. */
  fault: (operation: string) => Fault;
  stop(): Promise<void>;
}

/**
 * A loopback HTTP proxy in front of a real DynamoDB emulator that can answer an operation with an
 * AWS error (throttling, access denied) or hold it unanswered (a network that eats packets), the
 * failures dynalite itself cannot produce. It also records what the client sent.
 */
export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const to = new URL(target);
  const proxy: FaultProxy = {
    endpoint: '',
    seen: [],
    fault: () => undefined,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const operation = String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
      proxy.seen.push({ operation, authorization: String(req.headers.authorization ?? '') });
      const fault = proxy.fault(operation);
      if (fault === 'stall') return;
      if (fault !== undefined) {
        res.writeHead(fault.status, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-errortype': fault.type });
        res.end(JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${fault.type}`, message: fault.message }));
        return;
      }
      const fwd = http.request({ host: to.hostname, port: to.port, method: req.method, path: req.url, headers: req.headers }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      fwd.on('error', () => res.destroy());
      fwd.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  (proxy as { endpoint: string }).endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return proxy;
}
