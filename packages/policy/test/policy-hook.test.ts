import { createServer } from 'node:net';
import { InMemorySigner } from '@taquito/signer';
import { fromHex } from '@signatory-ts/core';
import { startHookServer, type HookAnswer, type HookRequest, type HookServer } from '@signatory-ts/dev-servers';
import { PolicyHook, sourceIp, type Decision, type PolicyHookCall, type SignContext } from '../src';

// The hook's own keys; replies are signed with Taquito's InMemorySigner (an independent implementation).
const HOOK_ED = new InMemorySigner('edsk3ZAm9nqEo7qNugo2wcmxWnbDe7oUUmHt5UJYDdqwucsaHTAsVQ');
const HOOK_P256 = new InMemorySigner('p2sk2obfVMEuPUnadAConLWk7Tf4Dt3n4svSgJwrgpamRqJXvaYcg1');
/** A well-formed key the signer does not list. */
const STRANGER = new InMemorySigner('edsk4TjJWEszkHKono7XMnepVqwi37FrpbVt1KCsifJeAGimxheShG');

const PKH = 'tz1WGcYos3hL7GXYXjKrMnSFdkT7FyXnFBvf';
const CLIENT = 'tz1PhHHZRSEqFViUYYJeT5YJ9uzvgQgdNWXW';
// a preattestation (Go Signatory's C2): 46 bytes, so its base64 ends in padding
const REQUEST = fromHex(
  '12b3d79f993222f293d2f293230ec36b0bef1caead619f1a7206ff54a0c198f07ae25bb151140014000000220000000458335430566f4b95401c110f33e74d3a324f83ad6003ed9d5e93ce617fa11e44',
);
const ctx = (c: Partial<SignContext> = {}): SignContext => ({
  pkh: PKH,
  requestKind: 'preattestation',
  request: REQUEST,
  source: '::ffff:127.0.0.1',
  ...c,
});

let server: HookServer;
let keys: string[];
beforeAll(async () => {
  server = await startHookServer();
  keys = [await HOOK_ED.publicKey(), await HOOK_P256.publicKey()];
});
afterAll(() => server.stop());
beforeEach(() => {
  server.requests.length = 0;
  server.answer(() => ({ status: 204 }));
});

const json = (r: HookRequest) => JSON.parse(r.body.toString('utf8')) as Record<string, unknown>;
const last = () => server.requests[server.requests.length - 1]!;

// a timeout no loaded machine reaches on a hook that answers; the test of the timeout sets its own against a hook that never does
const unsignedHook = (options: { timeoutMs?: number; onCall?: (e: PolicyHookCall) => void } = {}) =>
  new PolicyHook({ address: server.url, timeoutMs: 60_000, ...options });
const signedHook = (options: { timeoutMs?: number; onCall?: (e: PolicyHookCall) => void } = {}) =>
  new PolicyHook({ address: server.url, authorizedKeys: keys, timeoutMs: 60_000, ...options });

/** The reference service's reply: compact JSON payload, signed over those bytes. */
async function reply(
  req: HookRequest,
  o: {
    status?: number;
    error?: string;
    signer?: InMemorySigner;
    nonce?: string;
    payloadText?: (p: Record<string, unknown>) => string;
  } = {},
) {
  const status = o.status ?? 200;
  const signer = o.signer ?? HOOK_ED;
  const payload = { status, error: o.error ?? '', public_key_hash: await signer.publicKeyHash(), nonce: o.nonce ?? json(req).nonce };
  const text = o.payloadText ? o.payloadText(payload) : JSON.stringify(payload);
  const { prefixSig } = await signer.sign(Buffer.from(text, 'utf8').toString('hex'));
  return { status, text, signature: prefixSig };
}

const answerWith =
  (make: (req: HookRequest) => Promise<HookAnswer>) =>
  (req: HookRequest): Promise<HookAnswer> =>
    make(req);

describe('request body', () => {
  it("is Go's, byte for byte: fields in Go's order, padded base64 of the exact request, a fresh 32-byte nonce, no client_key_hash when unauthenticated", async () => {
    const hook = unsignedHook();
    expect(await hook.evaluate(ctx())).toEqual({ allow: true });
    const r = last();
    expect(r.method).toBe('POST');
    expect(r.path).toBe('/hook');
    expect(r.headers['content-type']).toBe('application/json');
    const body = json(r);
    expect(Object.keys(body)).toEqual(['request', 'source', 'public_key_hash', 'nonce']);
    expect(body.request).toBe(Buffer.from(REQUEST).toString('base64'));
    expect(body.request).toMatch(/=$/); // padded, standard alphabet
    expect(body.source).toBe('127.0.0.1');
    expect(body.public_key_hash).toBe(PKH);
    expect(Buffer.from(body.nonce as string, 'base64')).toHaveLength(32);
    // compact JSON exactly as Go's json.Marshal writes this struct
    expect(r.body.toString('utf8')).toBe(
      `{"request":"${body.request as string}","source":"127.0.0.1","public_key_hash":"${PKH}","nonce":"${body.nonce as string}"}`,
    );
    await hook.evaluate(ctx());
    expect(json(last()).nonce).not.toBe(body.nonce);
  });

  it('carries client_key_hash, between source and public_key_hash, only for an authenticated request', async () => {
    await unsignedHook().evaluate(ctx({ clientPkh: CLIENT, jwtUser: 'alice' }));
    const body = json(last());
    expect(Object.keys(body)).toEqual(['request', 'source', 'client_key_hash', 'public_key_hash', 'nonce']);
    expect(body.client_key_hash).toBe(CLIENT);
  });

  it.each([
    ['::ffff:10.1.2.3', '10.1.2.3'],
    ['127.0.0.1', '127.0.0.1'],
    ['::1', '::1'],
    ['2001:DB8::1', '2001:db8::1'],
    ['fe80::1%eth0', ''],
    ['not an address', ''],
    [undefined, ''],
  ])('source %s is sent as %j', (peer, want) => {
    expect(sourceIp(peer)).toBe(want);
  });
});

describe('unsigned replies (no authorized_keys): the status decides', () => {
  it.each<[string, HookAnswer, Decision]>([
    ['204', { status: 204 }, { allow: true }],
    ['200 with a body', { status: 200, body: '{"whatever":1}' }, { allow: true }],
    ['403', { status: 403 }, { allow: false, rule: 'policy_hook', reason: 'policy hook: 403 Forbidden', code: 'policy_denied' }],
    [
      '451 with its own reason',
      { status: 451, statusText: 'Outside Business Hours' },
      { allow: false, rule: 'policy_hook', reason: 'policy hook: 451 Outside Business Hours', code: 'policy_denied' },
    ],
    ['500', { status: 500 }, { allow: false, rule: 'policy_hook', reason: 'policy hook: 500 Internal Server Error', code: 'internal' }],
    ['503', { status: 503 }, { allow: false, rule: 'policy_hook', reason: 'policy hook: 503 Service Unavailable', code: 'internal' }],
  ])('%s', async (_name, answer, want) => {
    server.answer(() => answer);
    expect(await unsignedHook().evaluate(ctx())).toEqual(want);
  });

  it('a redirect is refused (500), not followed', async () => {
    server.answer((r) => (r.path === '/hook' ? { status: 302, headers: { location: `${server.origin}/elsewhere` } } : { status: 204 }));
    expect(await unsignedHook().evaluate(ctx())).toEqual({
      allow: false,
      rule: 'policy_hook',
      reason: 'policy hook: 302 Found (redirects are not followed: set policy_hook.address to the URL that answers)',
      code: 'internal',
    });
    expect(server.requests.map((r) => r.path)).toEqual(['/hook']);
  });
});

describe('signed replies (authorized_keys)', () => {
  it("accepts the reference service's reply (compact payload, ed25519 and P-256 keys)", async () => {
    for (const signer of [HOOK_ED, HOOK_P256]) {
      server.answer(
        answerWith(async (req) => {
          const r = await reply(req, { signer });
          return { status: 200, body: JSON.stringify({ payload: JSON.parse(r.text) as unknown, signature: r.signature }) };
        }),
      );
      expect(await signedHook().evaluate(ctx())).toEqual({ allow: true });
    }
  });

  it('verifies over the raw payload bytes: other whitespace, key order and key case are accepted as signed', async () => {
    const layouts: ((p: Record<string, unknown>) => string)[] = [
      (p) => JSON.stringify(p, null, 2),
      (p) => `{ "nonce" : ${JSON.stringify(p.nonce)}, "public_key_hash":"${p.public_key_hash as string}",\n"error":"", "status": 200 }`,
      (p) => JSON.stringify({ STATUS: p.status, Nonce: p.nonce, Public_Key_Hash: p.public_key_hash }),
      (p) => `{"status":500,"status":200,"error":"","public_key_hash":"${p.public_key_hash as string}","nonce":${JSON.stringify(p.nonce)}}`,
    ];
    for (const payloadText of layouts) {
      server.answer(
        answerWith(async (req) => {
          const r = await reply(req, { payloadText });
          return { status: 200, body: `{\n  "signature" : "${r.signature}",\n  "Payload" :  ${r.text}\n}` };
        }),
      );
      expect(await signedHook().evaluate(ctx())).toEqual({ allow: true });
    }
  });

  it('refuses a payload sent otherwise than signed (re-serialised: same fields, other bytes)', async () => {
    server.answer(
      answerWith(async (req) => {
        const r = await reply(req);
        return { status: 200, body: JSON.stringify({ payload: JSON.parse(r.text) as unknown, signature: r.signature }, null, 1) };
      }),
    );
    expect(await signedHook().evaluate(ctx())).toEqual({
      allow: false,
      rule: 'policy_hook',
      reason: 'invalid hook reply signature',
      code: 'policy_denied',
    });
  });

  const signedBody = (r: { text: string; signature: string }) => `{"payload":${r.text},"signature":"${r.signature}"}`;

  it.each<[string, (req: HookRequest) => Promise<HookAnswer>, Partial<Decision>]>([
    [
      'HTTP status other than the payload status: 500',
      async (req) => ({ status: 200, body: signedBody(await reply(req, { status: 403 })) }),
      { reason: 'the policy hook reply status must match the HTTP header', code: 'internal' },
    ],
    [
      'nonce mismatch: 403',
      async (req) => ({ status: 200, body: signedBody(await reply(req, { nonce: Buffer.alloc(32).toString('base64') })) }),
      { reason: 'nonce mismatch', code: 'policy_denied' },
    ],
    [
      'a key not in authorized_keys: 401',
      async (req) => ({ status: 200, body: signedBody(await reply(req, { signer: STRANGER })) }),
      { reason: 'public key not found', code: 'unauthenticated' },
    ],
    [
      'a signature by another key than public_key_hash names: 403',
      async (req) => {
        const r = await reply(req);
        const { prefixSig } = await HOOK_P256.sign(Buffer.from(r.text).toString('hex'));
        return { status: 200, body: signedBody({ text: r.text, signature: prefixSig }) };
      },
      { reason: 'invalid hook reply signature', code: 'policy_denied' },
    ],
    [
      'a signature that is not base58: 500',
      async (req) => ({ status: 200, body: signedBody({ ...(await reply(req)), signature: 'edsig0000' }) }),
      { code: 'internal' },
    ],
    [
      'an unparseable public_key_hash: 403',
      async (req) => {
        const r = await reply(req, { payloadText: (p) => JSON.stringify({ ...p, public_key_hash: 'tz1notakey' }) });
        return { status: 200, body: signedBody(r) };
      },
      { code: 'policy_denied' },
    ],
    [
      'a signed 403 with its error text',
      async (req) => ({ status: 403, body: signedBody(await reply(req, { status: 403, error: 'daily limit reached' })) }),
      { reason: 'policy hook: daily limit reached', code: 'policy_denied' },
    ],
    [
      'a signed 403 without error text: the status line',
      async (req) => ({ status: 403, body: signedBody(await reply(req, { status: 403 })) }),
      { reason: 'policy hook: 403 Forbidden', code: 'policy_denied' },
    ],
    [
      'a signed 500',
      async (req) => ({ status: 500, body: signedBody(await reply(req, { status: 500, error: 'database down' })) }),
      { reason: 'policy hook: database down', code: 'internal' },
    ],
    ['a body that is not JSON: 500', () => Promise.resolve({ status: 200, body: 'OK' }), { code: 'internal' }],
    [
      "a proxy's bare 502: 500 naming the status",
      () => Promise.resolve({ status: 502, body: '<html>Bad Gateway</html>' }),
      {
        code: 'internal',
        reason: expect.stringMatching(/^policy hook: 502 Bad Gateway, and the reply is not the expected JSON/) as string,
      },
    ],
    ['no payload: 500', () => Promise.resolve({ status: 200, body: '{"signature":"edsig"}' }), { code: 'internal' }],
    [
      'no signature: 500',
      async (req) => ({ status: 200, body: `{"payload":${(await reply(req)).text}}` }),
      { reason: 'policy hook: reply has no signature', code: 'internal' },
    ],
    ['an unsigned 204 (no body): 500', () => Promise.resolve({ status: 204 }), { code: 'internal' }],
  ])('%s', async (_name, answer, want) => {
    server.answer(answer);
    expect(await signedHook().evaluate(ctx())).toMatchObject({ allow: false, rule: 'policy_hook', ...want });
  });
});

/** A loopback port nothing listens on. */
const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });

describe('a hook that gives no usable answer: refused (500), never allowed', () => {
  it('down (connection refused)', async () => {
    const port = await freePort();
    const d = await new PolicyHook({ address: `http://user:secret@127.0.0.1:${port}/hook?token=x` }).evaluate(ctx());
    expect(d).toMatchObject({ allow: false, rule: 'policy_hook', code: 'internal' });
    expect((d as { reason: string }).reason).toMatch(new RegExp(`^policy hook: POST http://127\\.0\\.0\\.1:${port}/hook: .*ECONNREFUSED`));
    expect((d as { reason: string }).reason).not.toMatch(/secret|token/); // credentials in the address stay out of messages
  });

  it('slower than timeout_ms (unsigned and signed)', async () => {
    server.answer(() => 'hang');
    for (const hook of [unsignedHook({ timeoutMs: 200 }), signedHook({ timeoutMs: 200 })]) {
      expect(await hook.evaluate(ctx())).toEqual({
        allow: false,
        rule: 'policy_hook',
        reason: `policy hook: POST ${server.url}: no answer within 200 ms (policy_hook.timeout_ms); nothing was signed`,
        code: 'internal',
      });
    }
  });

  it('a signed reply larger than the cap', async () => {
    server.answer(answerWith(async (req) => ({ status: 200, body: signedBody2(await reply(req), 'x'.repeat(70_000)) })));
    const d = await signedHook().evaluate(ctx());
    expect(d).toMatchObject({ allow: false, code: 'internal', reason: expect.stringMatching(/reply larger than 65536 bytes/) as string });
  });
});

const signedBody2 = (r: { text: string; signature: string }, pad: string) =>
  `{"pad":"${pad}","payload":${r.text},"signature":"${r.signature}"}`;

describe('configuration and latency', () => {
  it('refuses a BLS key in authorized_keys at construction, saying which keys work', () => {
    expect(
      () =>
        new PolicyHook({
          address: server.url,
          authorizedKeys: ['BLpk1zN6gfET9J3X9MJgvthy6qMb1kMT5CpJMkofcbobta6SRwhmTwEtjvjxtcTB9WjqWe2q1mgK'],
        }),
    ).toThrow(
      expect.objectContaining({ code: 'config_invalid', message: expect.stringMatching(/^policy_hook\.authorized_keys: .*BLS/) as string }),
    );
  });

  it('reports each call with its result', async () => {
    const calls: PolicyHookCall[] = [];
    const hook = unsignedHook({ onCall: (e) => calls.push(e) });
    await hook.evaluate(ctx());
    server.answer(() => ({ status: 403 }));
    await hook.evaluate(ctx());
    server.answer(() => ({ status: 502 }));
    await hook.evaluate(ctx());
    expect(calls.map((c) => c.result)).toEqual(['allow', 'deny', 'error']);
    for (const c of calls) expect(c.seconds).toBeGreaterThan(0);
  });
});
