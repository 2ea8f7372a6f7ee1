import { createHmac } from 'node:crypto';
import { RemoteSigner } from '@taquito/remote-signer';
import { TRANSACTION } from './payloads';
import { failure, startHarness, VAULT_YAML, type Harness } from './harness';

const W_SK = 'edsk3REH79xaoCkNizrDo8cY4WYwEkrFLTAdjb1pjcP9yQora4qE3Y';
const W = 'tz1WGcYos3hL7GXYXjKrMnSFdkT7FyXnFBvf';
const OTHER_SK = 'p2sk2rUMnnnFPQCB7DBozkCZrFhiZ87ddrpAHbRcww7dwU2WHYUbci';
const OTHER = 'tz3ZbCsUveF3Q6WUNkThT1wyJyhPunanaAXK';

const ALICE = { password: 'Correct-Horse-Battery-1', secret: 'Zk3!mQ9#vR2$wT7%yU4^aB8&cD1*eF5(' };
const BOB = { password: 'Bobs-Password-Here-42', secret: 'Bb0b!Secret#Value$For%Tests^0123&' };
const CAROL_OLD = { password: 'Carol-Old-Password-1!', secret: 'C4rol!Old#Secret$Value%Tests^0123' };
const CAROL_NEW = { password: 'Carol-New-Password-2!', secret: 'C4rol!New#Secret$Value%Tests^4567' };
const DAVE_OLD = { password: 'Dave-Old-Password-11!', secret: 'D4ve!Old#Secret$Value%Tests^01234' };
const DAVE_NEW = { password: 'Dave-New-Password-22!', secret: 'D4ve!New#Secret$Value%Tests^56789' };
const ERIN_OLD = { password: 'Erin-Old-Password-11!', secret: 'Er1n!Old#Secret$Value%Tests^01234' };
const ERIN_NEW = { password: 'Erin-New-Password-22!', secret: 'Er1n!New#Secret$Value%Tests^56789' };
const ALL_SECRETS = [ALICE, BOB, CAROL_OLD, CAROL_NEW, DAVE_OLD, DAVE_NEW, ERIN_OLD, ERIN_NEW].flatMap((c) => [c.password, c.secret]);

/** 2029-12-31 23:00:00 UTC: carol's rotation (old_cred_exp) is one hour ahead. */
const BEFORE_ROTATION = Date.UTC(2029, 11, 31, 23, 0, 0);
const ROTATION = Date.UTC(2030, 0, 1, 0, 0, 0);
/** Go's format: "YYYY-MM-DD hh:mm:ss" UTC. */
const goTime = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
/** Erin rotates 30 days after the real now: past setTimeout's 24.8-day limit, which would fire at once. */
const ERIN_ROTATION = goTime(Date.now() + 30 * 86_400_000);

const creds = (c: { password: string; secret: string }) => `password: "${c.password}", secret: "${c.secret}"`;
const YAML = `${VAULT_YAML}
server:
  jwt:
    users:
      alice: {${creds(ALICE)}, jwt_exp: 60}
      bob: {${creds(BOB)}}
      carol: {${creds(CAROL_OLD)}, jwt_exp: 120, old_cred_exp: "${goTime(ROTATION)}", new_data: {${creds(CAROL_NEW)}, jwt_exp: 90}}
      dave: {${creds(DAVE_OLD)}, new_data: {${creds(DAVE_NEW)}}}
      erin: {${creds(ERIN_OLD)}, old_cred_exp: "${ERIN_ROTATION}", new_data: {${creds(ERIN_NEW)}}}
tezos:
  ${W}:
    jwt_users: [alice]
    allow:
      generic: [transaction]
  ${OTHER}:
    allow:
      generic: [transaction]
`;

/** Go Signatory's token for secret ALICE.secret, user alice, minted at 1 700 000 000 with jwt_exp 60 (built with the openssl CLI). */
const GO_VECTOR =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJleHAiOjE3MDAwMDM2MDAsInVzZXIiOiJhbGljZSJ9.yiunacTERW_fjC8yCspKP0eDDpRpp9r7mrOPrZTvRC8';

const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
const HASH = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' } as const;

/** A token built by hand: any header, any claims, HMAC with `secret` (alg picks the hash; others get an HS256 MAC). */
function handToken(header: unknown, claims: unknown, secret: string): string {
  const alg = (header as { alg?: string }).alg as keyof typeof HASH;
  const input = `${b64(header)}.${b64(claims)}`;
  return `${input}.${createHmac(Object.hasOwn(HASH, alg) ? HASH[alg] : 'sha256', secret)
    .update(input)
    .digest('base64url')}`;
}

/** The JWT clock; undefined: the real time. */
let clock: number | undefined;
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ yaml: YAML, keys: [{ secret: W_SK }, { secret: OTHER_SK }], now: () => clock ?? Date.now() });
});
afterAll(() => h.close());
beforeEach(() => {
  clock = 1_700_000_000_000;
});

async function call(method: string, path: string, headers: Record<string, string>, body?: string) {
  const r = await fetch(h.url + path, { method, headers, ...(body !== undefined ? { body } : {}) });
  return { status: r.status, text: await r.text(), type: r.headers.get('content-type') };
}
const login = (username: string, password: string) => call('POST', '/login', { username, password });
const withToken = (token: string, username: string) => ({ authorization: `Bearer ${token}`, username });
const sign = (pkh: string, headers: Record<string, string>) =>
  call('POST', `/keys/${pkh}`, { ...headers, 'content-type': 'application/json' }, `"${TRANSACTION}"`);
const TEXT = 'text/plain; charset=utf-8';

describe('POST /login', () => {
  test('mints exactly the token Go Signatory mints for the same secret, user and second (201, raw text)', async () => {
    const r = await login('alice', ALICE.password);
    expect(r).toEqual({ status: 201, text: GO_VECTOR, type: TEXT });
  });

  test('the claims are exactly {"exp","user"} in that order, exp = now + jwt_exp minutes (default 60)', async () => {
    const r = await login('bob', BOB.password);
    expect(Buffer.from(r.text.split('.')[1]!, 'base64url').toString()).toBe('{"exp":1700003600,"user":"bob"}');
  });

  test.each([
    ['no username', { password: ALICE.password }, 'username and password required'],
    ['no password', { username: 'alice' }, 'username and password required'],
    ['empty password', { username: 'alice', password: '' }, 'username and password required'],
    ['unknown user', { username: 'mallory', password: ALICE.password }, 'Access denied'],
    ['wrong password', { username: 'alice', password: BOB.password }, 'Access denied'],
    ["another user's password", { username: 'bob', password: ALICE.password }, 'Access denied'],
  ])('%s: 401 %s', async (_n, headers, text) => {
    expect(await call('POST', '/login', headers)).toEqual({ status: 401, text, type: TEXT });
  });

  test('other methods on /login are 405 (gorilla/mux), and the body is ignored', async () => {
    expect((await call('GET', '/login', {})).status).toBe(405);
    const r = await call('POST', '/login', { username: 'alice', password: ALICE.password }, '{"username":"bob"}');
    expect(r.text).toBe(GO_VECTOR);
  });
});

describe('guarded routes (Authorization: Bearer + username)', () => {
  let token: string;
  beforeEach(async () => {
    token = (await login('alice', ALICE.password)).text;
  });

  test.each([
    ['GET', `/keys/${OTHER}`],
    ['GET', '/authorized_keys'],
    ['POST', `/keys/${OTHER}`],
  ])('%s %s: 401 token required without a token, 200 with one', async (method, path) => {
    const body = method === 'POST' ? `"${TRANSACTION}"` : undefined;
    expect(await call(method, path, {}, body)).toEqual({ status: 401, text: 'token required', type: TEXT });
    expect(await call(method, path, { authorization: '', username: 'alice' }, body)).toMatchObject({ status: 401, text: 'token required' });
    expect((await call(method, path, withToken(token, 'alice'), body)).status).toBe(200);
  });

  test('unknown paths and methods answer 404/405 without a token, as Go (the middleware runs on matched routes only)', async () => {
    expect((await call('GET', '/nope', {})).status).toBe(404);
    expect((await call('DELETE', `/keys/${W}`, {})).status).toBe(405);
  });

  test('the Bearer prefix is optional, as in Go (a bare token is parsed as the token)', async () => {
    expect((await call('GET', '/authorized_keys', { authorization: token, username: 'alice' })).status).toBe(200);
  });

  test.each([
    ['no username header', {}, 'JWT: user not found'],
    ['unknown user', { username: 'mallory' }, 'JWT: user not found'],
  ])('%s: 401 %s', async (_n, extra, text) => {
    const r = await call('GET', '/authorized_keys', { authorization: `Bearer ${token}`, ...extra });
    expect(r).toEqual({ status: 401, text, type: TEXT });
  });

  test("another user's token under my name fails my secret: signature is invalid", async () => {
    const bobs = (await login('bob', BOB.password)).text;
    expect(await call('GET', '/authorized_keys', withToken(bobs, 'alice'))).toEqual({
      status: 401,
      text: 'token signature is invalid: signature is invalid',
      type: TEXT,
    });
  });

  test('a valid token naming another user than the header: JWT: invalid token, and a warning is logged', async () => {
    const forged = handToken({ alg: 'HS256', typ: 'JWT' }, { exp: 1_700_003_600, user: 'bob' }, ALICE.secret);
    const before = h.logs.length;
    expect(await call('GET', '/authorized_keys', withToken(forged, 'alice'))).toMatchObject({ status: 401, text: 'JWT: invalid token' });
    expect(h.logs.slice(before).some((l) => l.includes('Suspicious activity'))).toBe(true);
  });

  test.each([
    ['no user claim', { exp: 1_700_003_600 }],
    ['a number as user', { exp: 1_700_003_600, user: 7 }],
    ['an object as user', { exp: 1_700_003_600, user: { name: 'alice' } }],
    ['a list as user', { exp: 1_700_003_600, user: ['alice'] }],
  ])('%s, validly signed: 401 JWT: invalid token (Go crashes the connection on a non-string)', async (_n, claims) => {
    const t = handToken({ alg: 'HS256', typ: 'JWT' }, claims, ALICE.secret);
    expect(await call('GET', '/authorized_keys', withToken(t, 'alice'))).toEqual({ status: 401, text: 'JWT: invalid token', type: TEXT });
  });

  test.each(['HS384', 'HS512'])('a hand-built %s token with the same secret is accepted (golang-jwt accepts every HMAC)', async (alg) => {
    const t = handToken({ alg, typ: 'JWT' }, { exp: 1_700_003_600, user: 'alice' }, ALICE.secret);
    expect((await call('GET', '/authorized_keys', withToken(t, 'alice'))).status).toBe(200);
  });

  const claims = { exp: 1_700_003_600, user: 'alice' };
  test.each<[string, () => string, string]>([
    ['two segments', () => token.split('.').slice(0, 2).join('.'), 'token is malformed: token contains an invalid number of segments'],
    ['four segments', () => `${token}.x`, 'token is malformed: token contains an invalid number of segments'],
    [
      '"Bearer" glued to the token',
      () => `Bearer${token}`,
      "token is malformed: could not JSON decode header: invalid character '\\x05' looking for beginning of value",
    ],
    [
      'a header that is not base64url',
      () => `e+J.${token.split('.')[1]}.x`,
      'token is malformed: could not base64 decode header: illegal base64 data at input byte 1',
    ],
    [
      'claims that are not JSON',
      () => `${token.split('.')[0]}.${b64('hello')}.x`,
      "token is malformed: could not JSON decode claim: invalid character 'h' looking for beginning of value",
    ],
    [
      'claims that are a list',
      () => `${token.split('.')[0]}.${b64([1])}.x`,
      'token is malformed: could not JSON decode claim: json: cannot unmarshal array into Go value of type jwt.MapClaims',
    ],
    [
      'alg none, no signature',
      () => `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`,
      "token signature is invalid: 'none' signature type is not allowed",
    ],
    [
      'alg None with an HMAC',
      () => handToken({ alg: 'None', typ: 'JWT' }, claims, ALICE.secret),
      'token is unverifiable: signing method (alg) is unavailable',
    ],
    [
      'alg RS256 with an HMAC',
      () => handToken({ alg: 'RS256', typ: 'JWT' }, claims, ALICE.secret),
      'token signature is invalid: key is of invalid type: RS256 needs a public key; this signer accepts only HS256, HS384 and HS512',
    ],
    [
      'alg ES256 with an HMAC',
      () => handToken({ alg: 'ES256', typ: 'JWT' }, claims, ALICE.secret),
      'token signature is invalid: key is of invalid type: ES256 needs a public key; this signer accepts only HS256, HS384 and HS512',
    ],
    ['no alg', () => handToken({ typ: 'JWT' }, claims, ALICE.secret), 'token is unverifiable: signing method (alg) is unspecified'],
    [
      'alg "hasOwnProperty"',
      () => handToken({ alg: 'hasOwnProperty' }, claims, ALICE.secret),
      'token is unverifiable: signing method (alg) is unavailable',
    ],
    [
      'tampered claims',
      () => `${token.split('.')[0]}.${b64({ exp: 1_900_000_000, user: 'alice' })}.${token.split('.')[2]}`,
      'token signature is invalid: signature is invalid',
    ],
    ['a truncated signature', () => token.slice(0, -3), 'token signature is invalid: signature is invalid'],
    [
      'no exp (stricter than Go)',
      () => handToken({ alg: 'HS256', typ: 'JWT' }, { user: 'alice' }, ALICE.secret),
      'token has invalid claims: token is missing required claim: exp claim is required',
    ],
    [
      'exp as a string',
      () => handToken({ alg: 'HS256', typ: 'JWT' }, { exp: '1900000000', user: 'alice' }, ALICE.secret),
      'token has invalid claims: exp claim has an invalid type (a number is expected)',
    ],
    [
      'nbf ahead',
      () => handToken({ alg: 'HS256', typ: 'JWT' }, { exp: 1_900_000_000, nbf: 1_800_000_000, user: 'alice' }, ALICE.secret),
      'token has invalid claims: token is not valid yet',
    ],
  ])('%s: 401 with golang-jwt v5 text', async (_n, make, text) => {
    expect(await call('GET', '/authorized_keys', { authorization: `Bearer ${make()}`, username: 'alice' })).toEqual({
      status: 401,
      text,
      type: TEXT,
    });
  });

  test('expired at exp exactly (no leeway), valid one second before', async () => {
    clock = 1_700_003_599_000;
    expect((await call('GET', '/authorized_keys', withToken(token, 'alice'))).status).toBe(200);
    clock = 1_700_003_600_000;
    expect(await call('GET', '/authorized_keys', withToken(token, 'alice'))).toEqual({
      status: 401,
      text: 'token has invalid claims: token is expired',
      type: TEXT,
    });
  });

  test('refusals are counted in authentication_failure_total{auth_method="jwt"}', async () => {
    const count = async () =>
      (await h.deps.metrics.registry.getSingleMetric('authentication_failure_total')!.get()).values
        .filter((v) => v.labels.auth_method === 'jwt')
        .reduce((n, v) => n + v.value, 0);
    const before = await count();
    await call('GET', '/authorized_keys', {});
    expect(await count()).toBe(before + 1);
  });
});

describe('signing with a token, per-key jwt_users', () => {
  test('a listed user signs; another user gets 403 with Go text; a key without the list takes any user', async () => {
    const alice = (await login('alice', ALICE.password)).text;
    const bob = (await login('bob', BOB.password)).text;
    const ok = await sign(W, withToken(alice, 'alice'));
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.text).signature).toMatch(/^edsig/);
    expect(await sign(W, withToken(bob, 'bob'))).toMatchObject({
      status: 403,
      text: failure(`user \`bob' is not authorized to access ${W}`),
    });
    expect((await sign(OTHER, withToken(bob, 'bob'))).status).toBe(200);
  });

  test("Taquito's RemoteSigner signs with the token in its headers option, and is refused without it", async () => {
    const token = (await login('alice', ALICE.password)).text;
    const signer = new RemoteSigner(W, `${h.url}/`, { headers: { Authorization: `Bearer ${token}`, username: 'alice' } });
    const bytes = TRANSACTION.slice(2);
    expect((await signer.sign(bytes, new Uint8Array([3]))).prefixSig).toMatch(/^edsig/);
    await expect(new RemoteSigner(W, `${h.url}/`).sign(bytes, new Uint8Array([3]))).rejects.toThrow(/token required/);
  });

  test('without a token nothing is signed', async () => {
    expect(await sign(W, {})).toMatchObject({ status: 401, text: 'token required' });
  });
});

describe('credential rotation, decided at each request from the clock', () => {
  test('before old_cred_exp both sets work; from that second only new_data', async () => {
    clock = BEFORE_ROTATION;
    const old = await login('carol', CAROL_OLD.password);
    const neu = await login('carol', CAROL_NEW.password);
    expect([old.status, neu.status]).toEqual([201, 201]);
    // each token is signed with its own secret and lifetime (120 and 90 minutes)
    const exp = (t: string) => (JSON.parse(Buffer.from(t.split('.')[1]!, 'base64url').toString()) as { exp: number }).exp;
    expect(exp(old.text)).toBe(BEFORE_ROTATION / 1000 + 120 * 60);
    expect(exp(neu.text)).toBe(BEFORE_ROTATION / 1000 + 90 * 60);
    expect(neu.text).toBe(handToken({ alg: 'HS256', typ: 'JWT' }, { exp: exp(neu.text), user: 'carol' }, CAROL_NEW.secret));
    expect((await call('GET', '/authorized_keys', withToken(old.text, 'carol'))).status).toBe(200);
    expect((await call('GET', '/authorized_keys', withToken(neu.text, 'carol'))).status).toBe(200);

    clock = ROTATION - 1000;
    expect((await login('carol', CAROL_OLD.password)).status).toBe(201);
    clock = ROTATION;
    expect(await login('carol', CAROL_OLD.password)).toMatchObject({ status: 401, text: 'Access denied' });
    expect((await login('carol', CAROL_NEW.password)).status).toBe(201);
    // the old-secret token has not expired (120 min) but its secret is gone
    expect(await call('GET', '/authorized_keys', withToken(old.text, 'carol'))).toMatchObject({
      status: 401,
      text: 'token signature is invalid: signature is invalid',
    });
    expect((await call('GET', '/authorized_keys', withToken(neu.text, 'carol'))).status).toBe(200);
  });

  test('a token that fails both secrets during the overlap reports the new secret’s error (as Go)', async () => {
    clock = BEFORE_ROTATION;
    const t = handToken({ alg: 'HS256', typ: 'JWT' }, { exp: BEFORE_ROTATION / 1000 - 1, user: 'carol' }, CAROL_NEW.secret);
    expect((await call('GET', '/authorized_keys', withToken(t, 'carol'))).text).toBe('token has invalid claims: token is expired');
  });

  test('new_data without old_cred_exp replaces the credentials at start-up', async () => {
    expect(await login('dave', DAVE_OLD.password)).toMatchObject({ status: 401, text: 'Access denied' });
    const t = await login('dave', DAVE_NEW.password);
    expect(t.status).toBe(201);
    clock = 1_700_000_000_000 + 1000;
    expect((await call('GET', '/authorized_keys', withToken(t.text, 'dave'))).status).toBe(200);
    const old = handToken({ alg: 'HS256', typ: 'JWT' }, { exp: 1_700_003_600, user: 'dave' }, DAVE_OLD.secret);
    expect((await call('GET', '/authorized_keys', withToken(old, 'dave'))).text).toBe('token signature is invalid: signature is invalid');
  });

  test('an old_cred_exp 30 days ahead (past setTimeout’s limit) does not rotate early: the real clock, the old password still works', async () => {
    clock = undefined;
    expect((await login('erin', ERIN_OLD.password)).status).toBe(201);
    expect((await login('erin', ERIN_NEW.password)).status).toBe(201);
  });
});

test('no password or secret ever reaches the log', () => {
  const all = h.logs.join('\n');
  expect(all.length).toBeGreaterThan(0);
  for (const s of ALL_SECRETS) expect(all).not.toContain(s);
});

describe('without server.jwt', () => {
  test('POST /login is 404 (Go: not registered) and the routes need no token', async () => {
    const plain = await startHarness({
      yaml: `${VAULT_YAML}\ntezos:\n  ${OTHER}:\n    allow:\n      generic: [transaction]\n`,
      keys: [{ secret: OTHER_SK }],
    });
    try {
      const r = await fetch(`${plain.url}/login`, { method: 'POST', headers: { username: 'alice', password: ALICE.password } });
      expect([r.status, await r.text()]).toEqual([404, '404 page not found\n']);
      expect((await plain.get(`/keys/${OTHER}`)).status).toBe(200);
    } finally {
      await plain.close();
    }
  });
});
