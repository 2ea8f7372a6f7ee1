import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { JwtConfig, JwtCredentials } from '@signatory-ts/config';

/**
 * Go Signatory's JWT login (`server.jwt`) on node:crypto: HS256 tokens with exactly `{exp, user}`,
 * byte-identical to what Go mints for the same secret, user and second. Verification is stricter
 * than Go's: only HS256/384/512, `exp` required, a malformed claim is a refusal, never a crash.
 * The refusal texts are golang-jwt v5's (what Go Signatory answers), so clients see the same bodies.
 */

/** A refused login or token: 401 with this text as the plain-text body (Go's). */
export class JwtRefusal extends Error {
  readonly status = 401;
}

/** Go's answer to a login whose user name and password match no user (a wrong guess). */
export const ACCESS_DENIED = 'Access denied';

const HASHES: Readonly<Record<string, string>> = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' };

/** Asymmetric JWS algorithms: golang-jwt knows them but cannot verify them with an HMAC secret. */
const ASYMMETRIC = /^(RS|PS|ES)(256|384|512)$|^EdDSA$|^ES256K$/;

const b64url = (b: Buffer | string): string => Buffer.from(b).toString('base64url');

/** Equal without leaking where (or whether the lengths) differ: both sides hashed, then compared in constant time. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

/** Go's encoding/json string escaping: JSON.stringify plus `<`, `>`, `&`, U+2028 and U+2029 escaped. */
function goJsonString(s: string): string {
  return JSON.stringify(s).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The token Go Signatory mints: header `{"alg":"HS256","typ":"JWT"}`, claims `{"exp":…,"user":…}` (keys sorted, as Go marshals maps). */
export function mintToken(secret: string, user: string, exp: number): string {
  const head = b64url('{"alg":"HS256","typ":"JWT"}');
  const claims = b64url(`{"exp":${exp},"user":${goJsonString(user)}}`);
  const mac = createHmac('sha256', Buffer.from(secret, 'utf8')).update(`${head}.${claims}`).digest();
  return `${head}.${claims}.${b64url(mac)}`;
}

/** base64url without padding, as golang-jwt decodes segments; the error names the first bad byte as Go's does. */
function decodeSegment(seg: string, what: string): Buffer {
  const bad = /[^A-Za-z0-9_-]/.exec(seg);
  const at = bad !== null ? bad.index : seg.length % 4 === 1 ? seg.length - 1 : -1;
  if (at >= 0) throw new JwtRefusal(`token is malformed: could not base64 decode ${what}: illegal base64 data at input byte ${at}`);
  return Buffer.from(seg, 'base64url');
}

/** encoding/json's quoteChar: how Go names the byte it stumbled on. */
function goQuoteByte(b: number): string {
  if (b === 0x27) return "'\\''";
  if (b >= 0x20 && b < 0x7f) return `'${String.fromCharCode(b)}'`;
  if (b < 0x20 || b === 0x7f) return `'\\x${b.toString(16).padStart(2, '0')}'`;
  if (b < 0xa0 || b === 0xad) return `'\\u${b.toString(16).padStart(4, '0')}'`;
  return `'${String.fromCharCode(b)}'`;
}

/** JSON of a decoded segment, with encoding/json's wording for the common failures. */
function decodeJson(bytes: Buffer, what: string): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    const i = bytes.findIndex((b) => b !== 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d);
    const first = i < 0 ? undefined : bytes[i]!;
    const why =
      first === undefined
        ? 'unexpected end of JSON input'
        : /^[[{"\-0-9tfn]$/.test(String.fromCharCode(first))
          ? 'not valid JSON'
          : `invalid character ${goQuoteByte(first)} looking for beginning of value`;
    throw new JwtRefusal(`token is malformed: could not JSON decode ${what}: ${why}`);
  }
}

/** encoding/json's name for a JSON value's kind. */
const goJsonKind = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v === 'boolean' ? 'bool' : typeof v);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Checks `token` against `secret` at `nowMs` and returns its claims. Throws JwtRefusal with
 * golang-jwt v5's text, in its order: segments, header, claims, algorithm, signature, then claims.
 */
export function verifyToken(token: string, secret: string, nowMs: number): Record<string, unknown> {
  const parts = token.split('.');
  if (parts.length !== 3) throw new JwtRefusal('token is malformed: token contains an invalid number of segments');
  const [h, c, s] = parts as [string, string, string];
  const header = decodeJson(decodeSegment(h, 'header'), 'header');
  if (!isObject(header)) throw new JwtRefusal('token is malformed: could not JSON decode header: the header is not a JSON object');
  const claims = decodeJson(decodeSegment(c, 'claim'), 'claim');
  if (!isObject(claims)) {
    throw new JwtRefusal(
      `token is malformed: could not JSON decode claim: json: cannot unmarshal ${goJsonKind(claims)} into Go value of type jwt.MapClaims`,
    );
  }
  const alg = header.alg;
  if (typeof alg !== 'string') throw new JwtRefusal('token is unverifiable: signing method (alg) is unspecified');
  const hash = Object.hasOwn(HASHES, alg) ? HASHES[alg] : undefined;
  if (hash === undefined) {
    if (alg === 'none') throw new JwtRefusal("token signature is invalid: 'none' signature type is not allowed");
    if (ASYMMETRIC.test(alg))
      throw new JwtRefusal(
        `token signature is invalid: key is of invalid type: ${alg} needs a public key; this signer accepts only HS256, HS384 and HS512`,
      );
    throw new JwtRefusal('token is unverifiable: signing method (alg) is unavailable');
  }
  const sig = decodeSegment(s, 'signature');
  const expected = createHmac(hash, Buffer.from(secret, 'utf8')).update(`${h}.${c}`).digest();
  if (!constantTimeEqual(sig, expected)) throw new JwtRefusal('token signature is invalid: signature is invalid');
  // golang-jwt checks exp and nbf when present; exp is required here (Go never mints a token without it)
  const exp = claims.exp;
  if (exp === undefined) throw new JwtRefusal('token has invalid claims: token is missing required claim: exp claim is required');
  if (typeof exp !== 'number' || !Number.isFinite(exp))
    throw new JwtRefusal('token has invalid claims: exp claim has an invalid type (a number is expected)');
  if (nowMs >= exp * 1000) throw new JwtRefusal('token has invalid claims: token is expired');
  const nbf = claims.nbf;
  if (nbf !== undefined) {
    if (typeof nbf !== 'number' || !Number.isFinite(nbf))
      throw new JwtRefusal('token has invalid claims: nbf claim has an invalid type (a number is expected)');
    if (nowMs < nbf * 1000) throw new JwtRefusal('token has invalid claims: token is not valid yet');
  }
  return claims;
}

/** A user's credentials in force at one instant: `current`, and `next` while a rotation is pending. */
interface InForce {
  readonly current: JwtCredentials;
  readonly next?: JwtCredentials;
}

/** Compared against when the user is unknown (never matches: a password header cannot be empty here). */
const UNKNOWN_USER_PASSWORD = Buffer.alloc(0);

/** HTTP header values arrive as latin1 in Node; Go reads the same bytes as UTF-8. */
const headerBytes = (v: string): Buffer => Buffer.from(v, 'latin1');

export interface JwtAuthOptions {
  /** The clock, ms since the epoch (tests inject one). */
  readonly now?: () => number;
  /** Called when a valid token names another user than the `username` header (Go's "Suspicious activity" warning). */
  readonly onSuspicious?: (headerUser: string) => void;
}

/**
 * Login and token checks for `server.jwt`. Rotation is decided on each call from the clock: before
 * `old_cred_exp` both credential sets work, from that instant only `new_data` (no timer, so an
 * `old_cred_exp` months ahead cannot fire early, and nothing is kept between calls).
 */
export class JwtAuth {
  private readonly now: () => number;

  constructor(
    private readonly config: JwtConfig,
    private readonly options: JwtAuthOptions = {},
  ) {
    this.now = options.now ?? Date.now;
  }

  /** The credentials of `user` in force now; undefined for an unknown user. */
  private inForce(user: string): InForce | undefined {
    const u = this.config.users.get(user);
    if (u === undefined) return undefined;
    if (u.newData === undefined) return { current: u };
    if (u.oldCredExp === undefined || this.now() >= u.oldCredExp.getTime()) return { current: u.newData };
    return { current: u, next: u.newData };
  }

  /** `POST /login`: the token for `username`/`password` (raw header values), or a JwtRefusal with Go's text. */
  login(username: string | undefined, password: string | undefined): string {
    if (username === undefined || username === '' || password === undefined || password === '') {
      throw new JwtRefusal('username and password required');
    }
    const user = headerBytes(username).toString('utf8');
    const creds = this.inForce(user);
    const given = headerBytes(password);
    if (creds === undefined) {
      // the same work as for a known user, so the time taken does not tell which user names exist
      constantTimeEqual(given, UNKNOWN_USER_PASSWORD);
      constantTimeEqual(given, UNKNOWN_USER_PASSWORD);
      throw new JwtRefusal(ACCESS_DENIED);
    }
    // both compared every time: how long a login takes does not say which password matched
    const current = constantTimeEqual(given, Buffer.from(creds.current.password, 'utf8'));
    const next = creds.next !== undefined && constantTimeEqual(given, Buffer.from(creds.next.password, 'utf8'));
    const matched = current ? creds.current : next ? creds.next : undefined;
    if (matched === undefined) throw new JwtRefusal(ACCESS_DENIED);
    return mintToken(matched.secret, user, Math.floor(this.now() / 1000) + matched.expMinutes * 60);
  }

  /**
   * A guarded request: the user named by a valid token in `authorization` (`Bearer <token>`) that
   * matches the `username` header. Throws JwtRefusal with Go's text otherwise.
   */
  authenticate(authorization: string | undefined, username: string | undefined): string {
    if (authorization === undefined || authorization === '') throw new JwtRefusal('token required');
    const token = authorization.startsWith('Bearer ') ? authorization.slice(7) : authorization;
    const user = headerBytes(username ?? '').toString('utf8');
    const creds = this.inForce(user);
    if (creds === undefined) throw new JwtRefusal('JWT: user not found');
    const now = this.now();
    let claims: Record<string, unknown>;
    try {
      claims = verifyToken(token, creds.current.secret, now);
    } catch (e) {
      // Go tries new_data's secret next and reports its error when both fail
      if (creds.next === undefined || !(e instanceof JwtRefusal)) throw e;
      claims = verifyToken(token, creds.next.secret, now);
    }
    if (claims.user !== user) {
      if (typeof claims.user === 'string') this.options.onSuspicious?.(user);
      throw new JwtRefusal('JWT: invalid token');
    }
    return user;
  }
}
