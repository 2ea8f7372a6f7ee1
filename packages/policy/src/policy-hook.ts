import { randomBytes } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { TLSSocket } from 'node:tls';
import {
  b58Decode,
  blake2b256,
  createDigestVerifier,
  parsePublicKey,
  parseSignature,
  pkhOf,
  PKH_PREFIXES,
  SignatoryError,
  type Curve,
  type DigestVerifier,
  type ErrorCode,
} from '@signatory-ts/core';
import type { Decision, Policy, SignContext } from './decision';
import { readHookCa } from './hook-ca';
import { jsonMembers, member } from './json-members';

export interface PolicyHookOptions {
  /** `policy_hook.address`: the URL every sign request is POSTed to. */
  readonly address: string;
  /** `policy_hook.authorized_keys`: set, replies must be signed by one of these keys. */
  readonly authorizedKeys?: readonly string[];
  /**
   * `policy_hook.ca_file`: a PEM bundle read (and checked) now; an https hook's certificate must chain
   * to one of its CAs, instead of Node's default ones, for this hook's requests only.
   */
  readonly caFile?: string;
  /** The hook must answer within this many ms (default 3000); later is a refusal. */
  readonly timeoutMs?: number;
  /** Largest reply body read, bytes (default 64 KiB); larger is a refusal. */
  readonly maxReplyBytes?: number;
  /** Called once per hook call, for the latency histogram. */
  readonly onCall?: (e: PolicyHookCall) => void;
}

export interface PolicyHookCall {
  readonly seconds: number;
  /** allow; deny: refused with 403 or 401 (the hook said no, or its reply failed a check); error: no usable answer (500). */
  readonly result: 'allow' | 'deny' | 'error';
}

export const DEFAULT_HOOK_TIMEOUT_MS = 3000;
const DEFAULT_MAX_REPLY_BYTES = 64 * 1024;

interface HookKey {
  readonly curve: Curve;
  readonly verify: DigestVerifier;
}

interface Reply {
  readonly status: number;
  /** Go's `resp.Status`: `403 Forbidden`. */
  readonly statusLine: string;
  /** Only read when replies must be signed. */
  readonly body?: Buffer;
}

/** A refusal of the hook's: Go's texts, and the status Go answers it with. */
const refuse = (reason: string, code: ErrorCode = 'policy_denied'): Decision => ({ allow: false, rule: 'policy_hook', reason, code });
/** No usable answer (down, slow, malformed): 500, as Go. */
const failed = (reason: string): Decision => refuse(reason, 'internal');

/**
 * Go Signatory's remote policy hook, asked after the static policy and before the watermark:
 * POSTs `{request, source, client_key_hash?, public_key_hash, nonce}` and signs only on a 2xx
 * (with `authorized_keys`: a 2xx whose reply is signed over the exact `payload` bytes by one of
 * them and echoes the nonce). Unlike Go: a timeout, no redirects, a reply size cap. Anything but a
 * clear yes is a refusal (fail closed); nothing is retried.
 */
export class PolicyHook implements Policy {
  private readonly url: URL;
  /** The address without credentials or query, for messages. */
  private readonly shown: string;
  private readonly keys: ReadonlyMap<string, HookKey> | undefined;
  private readonly timeoutMs: number;
  private readonly maxReplyBytes: number;
  private readonly agent: http.Agent;

  constructor(private readonly options: PolicyHookOptions) {
    try {
      this.url = new URL(options.address);
    } catch {
      throw new SignatoryError('config_invalid', 'policy_hook.address: is not a URL (expected http://host:port/path or https://…)');
    }
    if (this.url.protocol !== 'http:' && this.url.protocol !== 'https:') {
      throw new SignatoryError('config_invalid', `policy_hook.address: ${this.url.protocol} is not http: or https:`);
    }
    this.shown = `${this.url.origin}${this.url.pathname}`;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_HOOK_TIMEOUT_MS;
    this.maxReplyBytes = options.maxReplyBytes ?? DEFAULT_MAX_REPLY_BYTES;
    if (options.caFile !== undefined && this.url.protocol !== 'https:') {
      throw new SignatoryError(
        'config_invalid',
        'policy_hook.ca_file: is set but policy_hook.address is plain http: use an https:// address',
      );
    }
    const ca = options.caFile !== undefined ? readHookCa(options.caFile) : undefined;
    // a fresh connection per call: a kept-alive socket the hook closed meanwhile would fail a request
    this.agent =
      this.url.protocol === 'https:'
        ? new https.Agent({ keepAlive: false, ...(ca !== undefined ? { ca } : {}) })
        : new http.Agent({ keepAlive: false });
    if (options.authorizedKeys !== undefined) {
      const keys = new Map<string, HookKey>();
      for (const text of options.authorizedKeys) {
        let pk: ReturnType<typeof parsePublicKey>;
        try {
          pk = parsePublicKey(text);
        } catch (e) {
          throw new SignatoryError('config_invalid', `policy_hook.authorized_keys: ${(e as Error).message}`, { cause: e });
        }
        if (pk.curve === 'bls') {
          throw new SignatoryError(
            'config_invalid',
            `policy_hook.authorized_keys: ${text.slice(0, 12)}… is a BLS key; this build verifies hook replies signed with ed25519, secp256k1 or P-256 keys only: give the hook one of those`,
          );
        }
        keys.set(pkhOf(pk), { curve: pk.curve, verify: createDigestVerifier(pk) });
      }
      this.keys = keys;
    }
  }

  async evaluate(ctx: SignContext): Promise<Decision> {
    const started = performance.now();
    const nonce = randomBytes(32).toString('base64');
    let d: Decision;
    let result: PolicyHookCall['result'];
    try {
      const reply = await this.post(requestBody(ctx, nonce));
      d = this.keys === undefined ? judgeStatus(reply.status, reply.statusLine) : this.judgeSigned(reply, nonce);
      result = d.allow ? 'allow' : d.code === 'internal' ? 'error' : 'deny';
    } catch (e) {
      d = failed(`policy hook: POST ${this.shown}: ${(e as Error).message}; nothing was signed`);
      result = 'error';
    }
    this.options.onCall?.({ seconds: (performance.now() - started) / 1000, result });
    return d;
  }

  /** Go's checks of a signed reply, in Go's order, with Go's texts and statuses. */
  private judgeSigned(reply: Reply, nonce: string): Decision {
    if (reply.status >= 300 && reply.status < 400) return judgeStatus(reply.status, reply.statusLine);
    let payloadText: string;
    let payload: ReturnType<typeof readPayload>;
    let signature: unknown;
    try {
      const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(reply.body);
      JSON.parse(text); // valid JSON first: jsonMembers only finds boundaries
      const top = jsonMembers(text);
      const p = member(top, 'payload');
      if (p === undefined) return failed('policy hook: reply has no payload');
      payloadText = p.raw;
      payload = readPayload(payloadText);
      const s = member(top, 'signature');
      signature = s === undefined ? undefined : JSON.parse(s.raw);
    } catch (e) {
      // a proxy's bare 502 in front of the hook is worth naming as such
      const status = reply.status >= 200 && reply.status < 300 ? '' : ` ${reply.statusLine}, and the`;
      return failed(
        `policy hook:${status} reply is not the expected JSON ({"payload": {...}, "signature": "..."}): ${(e as Error).message}`,
      );
    }
    if (payload.status !== reply.status) return failed('the policy hook reply status must match the HTTP header');
    if (payload.nonce !== nonce) return refuse('nonce mismatch');
    try {
      b58Decode(payload.publicKeyHash, PKH_PREFIXES);
    } catch (e) {
      return refuse((e as Error).message);
    }
    const key = this.keys!.get(payload.publicKeyHash);
    if (key === undefined) return refuse('public key not found', 'unauthenticated');
    if (typeof signature !== 'string') return failed('policy hook: reply has no signature');
    let sig: ReturnType<typeof parseSignature>;
    try {
      sig = parseSignature(signature);
    } catch (e) {
      return failed(`policy hook: reply signature: ${(e as Error).message}`);
    }
    const digest = blake2b256(Buffer.from(payloadText, 'utf8'));
    let valid = false;
    try {
      valid = (sig.curve === undefined || sig.curve === key.curve) && key.verify(digest, sig.bytes);
    } catch {
      valid = false;
    }
    if (!valid) return refuse('invalid hook reply signature');
    return judgeStatus(reply.status, reply.statusLine, payload.error);
  }

  /** POSTs the body; resolves at the status line (unsigned replies) or the whole body (signed ones). */
  private post(body: string): Promise<Reply> {
    const readBody = this.keys !== undefined;
    const transport = this.url.protocol === 'https:' ? https : http;
    return new Promise<Reply>((resolve, reject) => {
      let settled = false;
      const settle = (f: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        f();
      };
      // an https hook's connection is up once TCP connected and TLS finished; a failure in between is the handshake's
      let handshaking = false;
      const fail = (e: Error, inHandshake = handshaking) => {
        settle(() => reject(inHandshake ? this.tlsFailure(e) : e));
        req.destroy();
      };
      const req = transport.request(
        this.url,
        {
          method: 'POST',
          agent: this.agent,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'user-agent': 'signatory-ts' },
        },
        (res) => {
          const status = res.statusCode ?? 0;
          const statusLine = `${status} ${res.statusMessage ?? ''}`.trim();
          const chunks: Buffer[] = [];
          let size = 0;
          const keep = readBody && !(status >= 300 && status < 400);
          res.on('data', (c: Buffer) => {
            size += c.length;
            if (size > this.maxReplyBytes) fail(new Error(`reply larger than ${this.maxReplyBytes} bytes`));
            else if (keep) chunks.push(c);
          });
          res.on('end', () => settle(() => resolve({ status, statusLine, ...(keep ? { body: Buffer.concat(chunks) } : {}) })));
          res.on('error', (e) => fail(e));
          res.on('close', () => fail(new Error('connection closed before the reply ended')));
          // Go reads no body when replies are unsigned: the status decides
          if (!keep) settle(() => resolve({ status, statusLine }));
        },
      );
      const timer = setTimeout(
        () => fail(new Error(`no answer within ${this.timeoutMs} ms (policy_hook.timeout_ms)`), false),
        this.timeoutMs,
      );
      req.on('socket', (socket) => {
        if (!(socket instanceof TLSSocket)) return;
        socket.once('connect', () => (handshaking = true));
        socket.once('secureConnect', () => (handshaking = false));
      });
      req.on('error', (e) => fail(e));
      req.end(body);
    });
  }

  /** A failed TLS handshake, said as such, with what the hook's certificate must chain to. */
  private tlsFailure(e: Error): Error {
    const code = (e as NodeJS.ErrnoException).code;
    const trust =
      this.options.caFile !== undefined
        ? `a CA in policy_hook.ca_file (${this.options.caFile})`
        : "one of Node's default CAs (for a private CA, set policy_hook.ca_file)";
    return new Error(
      `TLS handshake failed: ${e.message}${code !== undefined && !e.message.includes(code) ? ` (${code})` : ''}; the hook's certificate must chain to ${trust} and name the host of policy_hook.address`,
      { cause: e },
    );
  }
}

/**
 * The request body, byte for byte Go's: fields in Go's order, standard padded base64,
 * `client_key_hash` only for an authenticated request, `source` the client's IP as Go prints it.
 */
export function requestBody(ctx: SignContext, nonce: string): string {
  return JSON.stringify({
    request: ctx.request === undefined ? null : Buffer.from(ctx.request).toString('base64'),
    source: sourceIp(ctx.source),
    ...(ctx.clientPkh !== undefined ? { client_key_hash: ctx.clientPkh } : {}),
    public_key_hash: ctx.pkh,
    nonce,
  });
}

/** A TCP peer address as Go's net.IP prints it: IPv4-mapped IPv6 as dotted IPv4, '' if not an IP. */
export function sourceIp(address: string | undefined): string {
  if (address === undefined) return '';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped !== null) return mapped[1]!;
  // Go's net.ParseIP knows no zones (fe80::1%eth0): it sends ''
  return isIP(address) === 0 || address.includes('%') ? '' : address.toLowerCase();
}

/** Go's status rule: 2xx allows, 4xx is 403, anything else 500; the message is the hook's error text, else the status line. */
function judgeStatus(status: number, statusLine: string, error?: string): Decision {
  if (status >= 200 && status < 300) return { allow: true };
  const reason = `policy hook: ${error !== undefined && error !== '' ? error : statusLine}`;
  if (status >= 400 && status < 500) return refuse(reason);
  if (status >= 300 && status < 400)
    return failed(`${reason} (redirects are not followed: set policy_hook.address to the URL that answers)`);
  return failed(reason);
}

/** The signed payload's fields, matched as Go's decoder does (any case, last wins), with Go's types. */
function readPayload(text: string): { status: number; error: string; publicKeyHash: string; nonce: string | undefined } {
  const members = jsonMembers(text);
  const field = (name: string): unknown => {
    const m = member(members, name);
    return m === undefined ? undefined : JSON.parse(m.raw);
  };
  const status = field('status');
  const error = field('error');
  const pkh = field('public_key_hash');
  const nonce = field('nonce');
  if (status !== undefined && !Number.isInteger(status))
    throw new TypeError(`payload.status must be an integer, got ${JSON.stringify(status)}`);
  for (const [name, v] of [
    ['error', error],
    ['public_key_hash', pkh],
    ['nonce', nonce],
  ] as const) {
    if (v !== undefined && v !== null && typeof v !== 'string') throw new TypeError(`payload.${name} must be a string`);
  }
  return {
    status: (status as number | undefined) ?? 0,
    error: (error as string | null | undefined) ?? '',
    publicKeyHash: (pkh as string | null | undefined) ?? '',
    nonce: (nonce as string | null | undefined) ?? undefined,
  };
}
