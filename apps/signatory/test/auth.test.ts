import {
  b58Decode,
  concatBytes,
  fromHex,
  parseSecretKey,
  encodeSignature,
  signWithSecretKey,
  encodePublicKey,
  secretKeyPublicKey,
} from '@signatory-ts/core';
import { C2, TRANSACTION } from './payloads';
import { failure, startHarness, VAULT_YAML, type Harness } from './harness';
import { TZ3 as OTHER, TZ3_SK as OTHER_SK, W, W_SK } from './keys';

// client keys: CLIENT is authorized for both keys, CLIENT2 only at server level (not in OTHER's list)
const CLIENT_SK = 'edsk3ZAm9nqEo7qNugo2wcmxWnbDe7oUUmHt5UJYDdqwucsaHTAsVQ';
const CLIENT_PKH = 'tz1PhHHZRSEqFViUYYJeT5YJ9uzvgQgdNWXW';
const CLIENT2_SK = 'spsk1XYsTqUsd7LaLs9a8qpmCvLVJeLEZEXkeAZS5dwcKgUZhv3cYw';
const CLIENT2_PKH = 'tz2QPsZoZse4eeahhg5DdfnBDB4VbU1PwgxN';
const UNKNOWN_SK = 'edsk4FTF78Qf1m2rykGpHqostAiq5gYW4YZEoGUSWBTJr2njsDHSnd';

const pk = (sk: string) => encodePublicKey(secretKeyPublicKey(parseSecretKey(sk)));

/** Octez's authenticated sign request, built here by hand: 0x04 0x01 ‖ tag ‖ 20-byte hash ‖ request. */
function authBytes(pkh: string, requestHex: string): Uint8Array {
  const tag = { tz1: 0, tz2: 1, tz3: 2, tz4: 3 }[pkh.slice(0, 3) as 'tz1'];
  const { payload } = b58Decode(pkh, ['tz1', 'tz2', 'tz3', 'tz4']);
  return concatBytes(new Uint8Array([0x04, 0x01, tag]), payload, fromHex(requestHex));
}
const authFor = (clientSk: string, pkh: string, requestHex: string) => {
  const s = signWithSecretKey(authBytes(pkh, requestHex), parseSecretKey(clientSk));
  return encodeSignature(s.curve, s.bytes);
};

const YAML = `${VAULT_YAML}
server:
  authorized_keys: [${pk(CLIENT_SK)}, ${pk(CLIENT2_SK)}]
tezos:
  ${W}:
    allow:
      preattestation:
      generic: [transaction]
  ${OTHER}:
    allow:
      generic: [transaction]
    authorized_keys: ${pk(CLIENT_SK)}
`;

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ yaml: YAML, keys: [{ secret: W_SK }, { secret: OTHER_SK }] });
});
afterAll(() => h.close());

describe('client authentication (?authentication=, server.authorized_keys)', () => {
  it('builds the byte layout Octez and Go Signatory sign (matches the vector derived from their source)', () => {
    expect(Buffer.from(authBytes(W, C2)).toString('hex').startsWith('040100749c7e9fd828c941420cdbbe8b51e3a66a15afca12b3d79f99')).toBe(true);
    expect(authFor(CLIENT_SK, W, C2)).toBe(
      'edsigtoZDA6Dogc61wegLsvtqDH13QKLK6sKAcn5kNgE2LiXNT1Gzgh79QGZEXUqcaHGsYBHRGQmTTtqJzREShkfwhj1k7JZ7ua',
    );
  });

  it('a valid signature by an authorized key -> 200', async () => {
    const r = await h.post(W, `"${C2}"`, { authentication: authFor(CLIENT_SK, W, C2) });
    expect(r.status).toBe(200);
  });

  it('an authorized secp256k1 client key works too (keys are tried in config order)', async () => {
    const r = await h.post(W, `"${TRANSACTION}"`, { authentication: authFor(CLIENT2_SK, W, TRANSACTION) });
    expect(r.status).toBe(200);
  });

  it('no authentication -> 401 missing authentication signature field', async () => {
    const r = await h.post(W, `"${TRANSACTION}"`);
    expect(r.status).toBe(401);
    expect(r.text).toBe(failure('missing authentication signature field'));
  });

  it('an authentication that is not a signature -> 400', async () => {
    const r = await h.post(W, `"${TRANSACTION}"`, { authentication: 'edsigNOPE' });
    expect(r.status).toBe(400);
    expect(JSON.parse(r.text)[0].msg).toMatch(/^authentication: /);
  });

  it('a 16 000-character authentication -> 400 refused by its length before any base58 decoding', async () => {
    const r = await h.post(W, `"${TRANSACTION}"`, { authentication: 'edsig' + 'z'.repeat(16_000) });
    expect(r.status).toBe(400);
    expect(JSON.parse(r.text)[0].msg).toMatch(
      /^authentication: .*\(16005 characters\) is too long for edsig, spsig1, p2sig, BLsig, sig: at most 143$/,
    );
  });

  it('a signature by a key not in server.authorized_keys -> 403 invalid authentication signature', async () => {
    const r = await h.post(W, `"${TRANSACTION}"`, { authentication: authFor(UNKNOWN_SK, W, TRANSACTION) });
    expect(r.status).toBe(403);
    expect(r.text).toBe(failure('invalid authentication signature'));
  });

  it('a signature over other bytes (or for another target key) -> 403', async () => {
    expect((await h.post(W, `"${TRANSACTION}"`, { authentication: authFor(CLIENT_SK, W, C2) })).status).toBe(403);
    expect((await h.post(W, `"${TRANSACTION}"`, { authentication: authFor(CLIENT_SK, OTHER, TRANSACTION) })).status).toBe(403);
  });

  it("authorized at server level but not in the key's own list -> 403 client not allowed", async () => {
    const r = await h.post(OTHER, `"${TRANSACTION}"`, { authentication: authFor(CLIENT2_SK, OTHER, TRANSACTION) });
    expect(r.status).toBe(403);
    expect(r.text).toBe(failure(`client \`${CLIENT2_PKH}' is not allowed`));
    expect((await h.post(OTHER, `"${TRANSACTION}"`, { authentication: authFor(CLIENT_SK, OTHER, TRANSACTION) })).status).toBe(200);
  });

  it('GET /authorized_keys lists the client key hashes in config order', async () => {
    const r = await h.get('/authorized_keys');
    expect(r.status).toBe(200);
    expect(r.text).toBe(JSON.stringify({ authorized_keys: [CLIENT_PKH, CLIENT2_PKH] }) + '\n');
  });

  it('counts failed authentications in authentication_failure_total', async () => {
    const text = await h.deps.metrics.registry.getSingleMetricAsString('authentication_failure_total');
    expect(text).toMatch(/authentication_failure_total\{status="401",auth_method="authentication",client_ip="[^"]+"\} [1-9]/);
    expect(text).toMatch(/status="403"/);
  });
});
