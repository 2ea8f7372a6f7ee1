import { request, type RequestOptions } from 'node:https';
import type { TLSSocket } from 'node:tls';

// test certificates (a CA, server and client certificates issued by it) come from dev-servers, shared with the policy hook's tests
export { encryptKey, issue, makeCa, type Issued } from '@signatory-ts/dev-servers';

export interface HttpsAnswer {
  readonly status: number;
  readonly body: string;
  /** The certificate the server presented on this connection. */
  readonly fingerprint: string;
  /** Whether the request went over a connection kept from an earlier one. */
  readonly reused: boolean;
  /** The client's port: the same one means the same TCP connection. */
  readonly localPort: number;
}

/** One HTTPS request with node:https (a fresh connection unless `agent` is given). */
export function httpsCall(url: string, options: RequestOptions & { body?: string } = {}): Promise<HttpsAnswer> {
  const { body, ...rest } = options;
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, ...rest }, (res) => {
      const chunks: Buffer[] = [];
      const socket = res.socket as TLSSocket;
      const fingerprint = socket.getPeerX509Certificate()?.fingerprint256 ?? '';
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks).toString(),
          fingerprint,
          reused: req.reusedSocket,
          localPort: socket.localPort ?? 0,
        }),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}
