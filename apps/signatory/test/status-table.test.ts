import { LocalForger } from '@taquito/local-forging';
import { OpKind } from '@taquito/rpc';
import { verifySignature } from '@taquito/utils';
import { block, consensus, TRANSACTION } from './payloads';
import { failure, startHarness, VAULT_YAML, type Harness } from './harness';
import { TZ3 as STRANGER, TZ3_PK as STRANGER_PK, TZ3_SK as STRANGER_SK, W, W_PK, W_SK } from './keys';

// tz1LggX2HUdvJ1tF4Fvv8fjsrzLeW4Jr9t2Q: in config, in no vault
const MISSING = 'tz1LggX2HUdvJ1tF4Fvv8fjsrzLeW4Jr9t2Q';
// STRANGER: in the vault, not in config

const YAML = `${VAULT_YAML}
tezos:
  ${W}:
    allow:
      block:
      preattestation:
      attestation:
      generic: [transaction]
    allowed_chains: [NetXo5iVw1vBoxM]
  ${MISSING}:
`;

let h: Harness;
let delegation: string;

beforeAll(async () => {
  h = await startHarness({ yaml: YAML, keys: [{ secret: W_SK }, { secret: STRANGER_SK }] });
  const f = new LocalForger();
  delegation =
    '03' +
    (await f.forge({
      branch: 'BLockGenesisGenesisGenesisGenesisGenesisf79b5d1CoW2',
      contents: [{ kind: OpKind.DELEGATION, source: W, fee: '400', counter: '3', gas_limit: '1000', storage_limit: '0', delegate: W }],
    }));
});
afterAll(() => h.close());

const JSON_TYPE = 'application/json; charset=utf-8';

describe('POST /keys/:pkh follows the status table in docs/api.md (Go Signatory statuses)', () => {
  const rows: { name: string; pkh: () => string; body: () => string; status: number; msg: string | RegExp }[] = [
    {
      name: 'bad pkh in the URL',
      pkh: () => 'tz1WGcYos3hL7GXYXjKrMnSFdkT7FyXnFBvg',
      body: () => `"${TRANSACTION}"`,
      status: 400,
      msg: /invalid key hash in URL: .*checksum/i,
    },
    {
      name: 'a pkh that is not a key hash at all',
      pkh: () => 'hello',
      body: () => `"${TRANSACTION}"`,
      status: 400,
      msg: /invalid key hash in URL/,
    },
    {
      name: 'a 16 000-character pkh (refused by length, not base58-decoded)',
      pkh: () => 'tz1' + '1'.repeat(16_000),
      body: () => `"${TRANSACTION}"`,
      status: 400,
      msg: /invalid key hash in URL: .*\(16003 characters\) is too long for tz1, tz2, tz3, tz4/,
    },
    { name: 'empty body', pkh: () => W, body: () => '', status: 400, msg: /request body is not JSON/ },
    { name: 'body a raw byte', pkh: () => W, body: () => '\x03', status: 400, msg: /request body is not JSON/ },
    {
      name: 'body a JSON number',
      pkh: () => W,
      body: () => '3',
      status: 400,
      msg: 'request body must be a JSON string of hex, got number',
    },
    {
      name: 'body a JSON object',
      pkh: () => W,
      body: () => '{"a":1}',
      status: 400,
      msg: 'request body must be a JSON string of hex, got object',
    },
    { name: 'bad hex', pkh: () => W, body: () => '"03ZZZZ"', status: 400, msg: /request body is not hex/ },
    { name: 'odd-length hex', pkh: () => W, body: () => '"030"', status: 400, msg: /request body is not hex/ },
    { name: '0x-prefixed hex', pkh: () => W, body: () => `"0x${TRANSACTION}"`, status: 400, msg: /request body is not hex/ },
    {
      name: 'not listed (checked before decoding: garbage still gets 403)',
      pkh: () => STRANGER,
      body: () => '"ff00"',
      status: 403,
      msg: `${STRANGER} is not listed in config`,
    },
    { name: 'undecodable payload', pkh: () => W, body: () => '"0300"', status: 400, msg: /cannot decode sign request/ },
    { name: 'unknown magic byte', pkh: () => W, body: () => '"ff00"', status: 400, msg: /unknown_magic at byte 0/ },
    {
      name: 'key in config, in no vault',
      pkh: () => MISSING,
      body: () => `"${block(5, 0)}"`,
      status: 404,
      msg: 'this key not found in any vault',
    },
    {
      name: 'chain not allowed',
      pkh: () => W,
      body: () => `"${block(5, 0, 0, 'ed9d217c')}"`,
      status: 403,
      msg: "chain `NetXxkAx4woPLyu' is not allowed",
    },
    {
      name: 'request kind not allowed',
      pkh: () => W,
      body: () => '"050100000003616263"',
      status: 403,
      msg: "request kind `pack' is not allowed",
    },
    {
      name: 'operation kind not allowed',
      pkh: () => W,
      body: () => `"${delegation}"`,
      status: 403,
      msg: "operation `delegation' is not allowed",
    },
  ];

  it.each(rows)('$name -> $status', async (row) => {
    const r = await h.post(row.pkh(), row.body());
    expect(r.status).toBe(row.status);
    expect(r.type).toBe(JSON_TYPE);
    const body = JSON.parse(r.text) as { id: string; kind: string; msg: string }[];
    expect(r.text.endsWith('\n')).toBe(true);
    expect(body).toHaveLength(1);
    expect(body[0]).toMatchObject({ id: 'failure', kind: 'temporary' });
    if (typeof row.msg === 'string') expect(r.text).toBe(failure(row.msg));
    else expect(body[0]!.msg).toMatch(row.msg);
  });

  it('signs an allowed request: 200, {"signature":"edsig…"} + newline, verifiable by Taquito', async () => {
    const r = await h.post(W, `"${TRANSACTION}"`);
    expect(r.status).toBe(200);
    expect(r.type).toBe(JSON_TYPE);
    expect(r.text).toMatch(/^\{"signature":"edsig[1-9A-HJ-NP-Za-km-z]+"\}\n$/);
    const { signature } = JSON.parse(r.text) as { signature: string };
    expect(verifySignature(TRANSACTION, W_PK, signature)).toBe(true);
  });

  it('a second request at the same level and round with other bytes -> 409 watermark validation failed', async () => {
    expect((await h.post(W, `"${consensus('attestation', 40, 1)}"`)).status).toBe(200);
    const r = await h.post(W, `"${consensus('attestation', 40, 1, 9)}"`);
    expect(r.status).toBe(409);
    expect(r.text).toBe(failure('watermark validation failed'));
  });

  it('a KMS Sign failure -> 500 (as Go Signatory) with the reason, and the level stays free for the next try', async () => {
    h.kms.faults.failNext(50, 'DisabledException', { operations: ['Sign'] });
    const r = await h.post(W, `"${block(90, 0)}"`);
    h.kms.faults.clear();
    expect(r.status).toBe(500);
    expect(JSON.parse(r.text)[0].msg).toMatch(/Disabled/);
    expect((await h.post(W, `"${block(90, 0)}"`)).status).toBe(200);
  });

  it('logs a prefix and the length of a large refused request, not its whole hex (unlisted key, then undecodable)', async () => {
    for (const [pkh, hex] of [
      [STRANGER, 'ff'.repeat(30_000)],
      [W, '03' + 'ee'.repeat(30_000)],
    ] as const) {
      const before = h.logs.length;
      expect((await h.post(pkh, `"${hex}"`)).status).toBeGreaterThanOrEqual(400);
      const lines = h.logs.slice(before).filter((l) => l.includes('raw='));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(`raw="${hex.slice(0, 512)}…(${hex.length / 2} bytes)"`);
      expect(lines[0]!.length).toBeLessThan(1000);
    }
  });

  it('rejects a body over the limit with 413 and says why', async () => {
    const r = await h.post(W, `"${'03'.repeat(40 * 1024)}"`);
    expect(r.status).toBe(413);
    expect(JSON.parse(r.text)[0].msg).toMatch(/request body larger than 65536 bytes/);
  });
});

describe('GET routes', () => {
  it('GET /keys/:pkh answers for a vault key even when it is not listed in config', async () => {
    const r = await h.get(`/keys/${STRANGER}`);
    expect(r.status).toBe(200);
    expect(r.text).toBe(JSON.stringify({ public_key: STRANGER_PK }) + '\n');
  });
  it('GET /keys/:pkh is 404 for a key in no vault and 400 for a bad pkh', async () => {
    const missing = await h.get(`/keys/${MISSING}`);
    expect(missing.status).toBe(404);
    expect(missing.text).toBe(failure('this key not found in any vault'));
    expect((await h.get('/keys/tz1nope')).status).toBe(400);
  });
  it('GET /authorized_keys is {} when server.authorized_keys is not set', async () => {
    const r = await h.get('/authorized_keys');
    expect(r.status).toBe(200);
    expect(r.text).toBe('{}\n');
  });
  it('GET /keys/<16 000 characters> -> 400 refused by length (quadratic base58 decoding never runs)', async () => {
    const r = await h.get(`/keys/${'z'.repeat(16_000)}`);
    expect(r.status).toBe(400);
    expect(JSON.parse(r.text)[0].msg).toMatch(/\(16000 characters\) is too long/);
  });
  it('routes are case-sensitive and strict about a trailing slash, as Go Signatory (gorilla/mux): 404', async () => {
    for (const p of [`/KEYS/${W}`, `/Keys/${W}`, `/keys/${W}/`, '/authorized_keys/', '/AUTHORIZED_KEYS']) {
      const r = await h.get(p);
      expect([p, r.status, r.text]).toEqual([p, 404, '404 page not found\n']);
    }
    expect((await fetch(`${h.url}/keys/${W}/`, { method: 'POST', body: `"${TRANSACTION}"` })).status).toBe(404);
    expect((await h.get(`/keys/${W}`)).status).toBe(200);
  });
  it('unknown path -> Go text 404; known path, wrong method -> 405 with an empty body', async () => {
    const r = await h.get('/known_keys');
    expect(r.status).toBe(404);
    expect(r.text).toBe('404 page not found\n');
    expect(r.type).toMatch(/^text\/plain/);
    const put = await fetch(`${h.url}/keys/${W}`, { method: 'PUT' });
    expect(put.status).toBe(405);
    expect(await put.text()).toBe('');
    expect((await fetch(`${h.url}/authorized_keys`, { method: 'POST' })).status).toBe(405);
  });
});
