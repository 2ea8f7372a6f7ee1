import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { request, type RequestOptions } from 'node:https';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';

/**
 * Test certificates made with the `openssl` CLI at test time (P-256 keys, valid two days): a CA,
 * server certificates for 127.0.0.1 and client certificates it issues.
 */
export interface Issued {
  readonly cert: string;
  readonly key: string;
  /** SHA-256 fingerprint as Node's X509Certificate shows it (AA:BB:…). */
  readonly fingerprint: string;
}

const openssl = (dir: string, args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });

/** `openssl req` arguments for a new unencrypted P-256 key written to `<name>.key`, subject CN=`name`. */
const newKey = (dir: string, name: string) => [
  '-newkey',
  'ec',
  '-pkeyopt',
  'ec_paramgen_curve:P-256',
  '-nodes',
  '-keyout',
  path.join(dir, `${name}.key`),
  '-subj',
  `/CN=${name}`,
];

const issued = (dir: string, name: string): Issued => {
  const cert = path.join(dir, `${name}.crt`);
  return { cert, key: path.join(dir, `${name}.key`), fingerprint: new X509Certificate(readFileSync(cert)).fingerprint256 };
};

export function makeCa(dir: string, name: string): Issued {
  openssl(dir, ['req', '-x509', ...newKey(dir, name), '-out', path.join(dir, `${name}.crt`), '-days', '2']);
  return issued(dir, name);
}

/** A certificate signed by `ca`: for the server at 127.0.0.1, or a client. */
export function issue(dir: string, ca: Issued, name: string, use: 'server' | 'client'): Issued {
  const csr = path.join(dir, `${name}.csr`);
  const ext = path.join(dir, `${name}.ext`);
  writeFileSync(ext, use === 'server' ? 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' : 'extendedKeyUsage=clientAuth\n');
  openssl(dir, ['req', '-new', ...newKey(dir, name), '-out', csr]);
  openssl(dir, [
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    ca.cert,
    '-CAkey',
    ca.key,
    '-CAcreateserial',
    '-out',
    path.join(dir, `${name}.crt`),
    '-days',
    '2',
    '-extfile',
    ext,
  ]);
  return issued(dir, name);
}

/** `key` re-written encrypted (PKCS#8, AES-256) with `passphrase`. */
export function encryptKey(dir: string, key: string, passphrase: string): string {
  const out = key.replace(/\.key$/, '.enc.key');
  openssl(dir, ['pkey', '-in', key, '-aes256', '-passout', `pass:${passphrase}`, '-out', out]);
  return out;
}

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
