import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { authenticate, type StaticCredentials } from './auth';
import { KmsError } from './errors';
import { checkFaultSpec, FaultSpecError, Faults, type FaultSpec } from './faults';
import { Kms, type NewKey } from './kms';
import { KeyStore } from './keyStore';

export interface KmsLocalOptions {
  /** directory holding keys/ and aliases.json (created 0700 if missing) */
  dir: string;
  /** 0 (default) picks a free port */
  port?: number;
  /** default 127.0.0.1 */
  host?: string;
  /** region for keys created through the library API (requests use their SigV4 scope's region); default us-east-1 */
  region?: string;
  /** default 111122223333 */
  accountId?: string;
  /** when set, requests must be signed with exactly these credentials; otherwise any well-formed SigV4 header passes */
  credentials?: StaticCredentials;
  /** faults active from the start */
  faults?: FaultSpec;
  /** list the predefined AWS aliases (alias/aws/…, no TargetKeyId) like real KMS; default true */
  awsManagedAliases?: boolean;
  /** clock (epoch ms); tests use it to expire import tokens */
  now?: () => number;
  /** one line per request (operation, status, error type; never secrets); default silent */
  log?: (line: string) => void;
}

export interface CreatedKey {
  keyId: string;
  arn: string;
}

export interface KmsLocal {
  /** http://host:port, for the SDK's `endpoint` option */
  url: string;
  port: number;
  region: string;
  accountId: string;
  /** live fault settings; changes apply to the next call */
  faults: Faults;
  /** seeds a key without going through the wire (optionally from a known PKCS#8 private key) */
  createKey(key: NewKey): Promise<CreatedKey>;
  createAlias(aliasName: string, keyId: string, region?: string): Promise<void>;
  disableKey(keyId: string): Promise<void>;
  enableKey(keyId: string): Promise<void>;
  /** stops listening, drops open (including hung) connections, waits for pending writes */
  close(): Promise<void>;
}

const JSON_TYPE = 'application/x-amz-json-1.1';
const MAX_BODY = 1024 * 1024;

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new KmsError('SerializationException', 'Request body is larger than 1 MiB'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown, contentType = JSON_TYPE): void {
  const text = body === undefined ? '{}' : JSON.stringify(body);
  res.writeHead(status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': randomUUID(),
  });
  res.end(text);
}

function sendError(res: ServerResponse, err: KmsError): void {
  send(res, err.status, { __type: err.code, message: err.message });
}

/** Starts a local AWS KMS endpoint (JSON 1.1 over HTTP) on loopback. */
export async function startKmsLocal(options: KmsLocalOptions): Promise<KmsLocal> {
  const accountId = options.accountId ?? '111122223333';
  const region = options.region ?? 'us-east-1';
  const now = options.now ?? Date.now;
  const log = options.log ?? (() => undefined);
  const store = await KeyStore.open(options.dir);
  const faults = new Faults(options.faults, now);
  const kms = new Kms({
    store,
    faults,
    accountId,
    defaultRegion: region,
    awsManagedAliases: options.awsManagedAliases ?? true,
    now,
  });

  async function admin(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const body = await readBody(req);
    const json = body.length > 0 ? (JSON.parse(body.toString('utf8')) as Record<string, unknown>) : {};
    if (path === '/__admin/release' && req.method === 'POST') return send(res, 200, { released: faults.release() }, 'application/json');
    if (path === '/__admin/held' && req.method === 'GET') return send(res, 200, { held: faults.held() }, 'application/json');
    if (path === '/__admin/faults') {
      if (req.method === 'POST') faults.set(checkFaultSpec(json));
      else if (req.method === 'DELETE') faults.clear();
      else if (req.method !== 'GET') return send(res, 405, { error: 'use GET, POST or DELETE' }, 'application/json');
      return send(res, 200, faults.snapshot(), 'application/json');
    }
    const keyAction = /^\/__admin\/keys\/([^/]+)\/(disable|enable)$/.exec(path);
    if (keyAction && req.method === 'POST') {
      const key = kms.resolveId(
        decodeURIComponent(keyAction[1]!),
        { region: typeof json.region === 'string' ? json.region : region },
        true,
      );
      await kms.setEnabled(key, keyAction[2] === 'enable');
      return send(res, 200, { KeyMetadata: kms.metadata(store.getKey(key.keyId)!) }, 'application/json');
    }
    send(res, 404, { error: `no admin endpoint ${req.method} ${path}` }, 'application/json');
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!;
    if (path.startsWith('/__admin/')) {
      try {
        await admin(req, res, path);
      } catch (err) {
        const message =
          err instanceof FaultSpecError || err instanceof KmsError || err instanceof SyntaxError ? err.message : 'internal error';
        send(res, 400, { error: message }, 'application/json');
      }
      return;
    }
    const target = String(req.headers['x-amz-target'] ?? '');
    const operation = target.startsWith('TrentService.') ? target.slice('TrentService.'.length) : '';
    try {
      const body = await readBody(req);
      if (req.method !== 'POST' || path !== '/') {
        throw new KmsError('UnknownOperationException', 'KMS accepts only POST / with an X-Amz-Target header');
      }
      const handler = kms.operations[operation];
      if (!handler) {
        throw new KmsError(
          'UnknownOperationException',
          `Unknown or unsupported operation '${target}' (kms-local implements ${Object.keys(kms.operations).join(', ')})`,
        );
      }
      const caller = await authenticate(
        { method: req.method, path: req.url ?? '/', headers: req.headers, body },
        options.credentials,
        now(),
      );
      let input: unknown;
      try {
        input = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
      } catch {
        throw new KmsError('SerializationException', 'Request body is not valid JSON');
      }
      if (typeof input !== 'object' || input === null || Array.isArray(input)) {
        throw new KmsError('SerializationException', 'Request body must be a JSON object');
      }
      const keyId =
        typeof (input as Record<string, unknown>).KeyId === 'string' ? ((input as Record<string, unknown>).KeyId as string) : undefined;
      const delay = faults.latencyFor(operation);
      if (delay > 0) await sleep(delay);
      if (faults.fires('hold', operation, keyId)) {
        log(`${operation} held`);
        const gaveUp = new AbortController();
        res.once('close', () => gaveUp.abort());
        if (!(await faults.holdCall(gaveUp.signal))) {
          log(`${operation} held call dropped: its client gave up`);
          return;
        }
        log(`${operation} released`);
      }
      if (faults.fires('hang', operation, keyId)) {
        log(`${operation} hang`);
        return; // never answer; close() drops the socket
      }
      if (faults.fires('throttle', operation, keyId)) {
        throw new KmsError(
          'ThrottlingException',
          'You have exceeded the rate at which you may call KMS. Reduce the frequency of your calls.',
        );
      }
      if (faults.fires('accessDenied', operation, keyId)) {
        throw new KmsError(
          'AccessDeniedException',
          `User is not authorized to perform: kms:${operation} on resource ${keyId ?? '*'} (kms-local fault)`,
        );
      }
      const failure = faults.failure(operation, keyId);
      if (failure) throw new KmsError(failure.errorType, failure.message ?? `Injected ${failure.errorType} (kms-local fault)`);
      const output = await handler(input as Record<string, unknown>, caller);
      log(`${operation} 200`);
      send(res, 200, output);
    } catch (err) {
      const kmsErr = err instanceof KmsError ? err : new KmsError('KMSInternalException', 'kms-local internal error');
      if (!(err instanceof KmsError)) log(`${operation || target} internal error: ${(err as Error).message}`);
      log(`${operation || target || '-'} ${kmsErr.status} ${kmsErr.code}`);
      sendError(res, kmsErr);
    }
  }

  // Idle keep-alive connections are kept 65 s (Node's default is 5 s) and announced as `Keep-Alive: timeout=65`, which
  // the SDK's agent honours. With 5 s, a process busy for longer between two calls (a test verifying with a slow
  // library under load, client and server in one process) reused a connection the server was closing: ECONNRESET.
  const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => void handle(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    region,
    accountId,
    faults,
    async createKey(key) {
      const record = await kms.createKey(key);
      return { keyId: record.keyId, arn: kms.arn(record) };
    },
    async createAlias(aliasName, keyId, aliasRegion = region) {
      const out = kms.operations.CreateAlias!({ AliasName: aliasName, TargetKeyId: keyId }, { region: aliasRegion });
      await out;
    },
    async disableKey(keyId) {
      await kms.setEnabled(kms.resolveId(keyId, { region }, true), false);
    },
    async enableKey(keyId) {
      await kms.setEnabled(kms.resolveId(keyId, { region }, true), true);
    },
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await store.flush();
    },
  };
}
