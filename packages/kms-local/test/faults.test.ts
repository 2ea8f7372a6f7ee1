import { createHash, createPublicKey } from 'node:crypto';
import {
  CreateKeyCommand,
  DependencyTimeoutException,
  DescribeKeyCommand,
  DisabledException,
  GetPublicKeyCommand,
  KMSInternalException,
  ListKeysCommand,
  NotFoundException,
  SignCommand,
} from '@aws-sdk/client-kms';
import { secp256k1 } from '@noble/curves/secp256k1';
import { ec as EC } from 'elliptic';
import { client, start, type Started } from './harness';

let t: Started;
let keyId: string;
beforeAll(async () => {
  t = await start();
  keyId = (await t.kms.send(new CreateKeyCommand({ KeySpec: 'ECC_SECG_P256K1', KeyUsage: 'SIGN_VERIFY' }))).KeyMetadata!.KeyId!;
});
afterEach(() => t.server.faults.clear());
afterAll(async () => {
  await t.stop();
});

const digest = (s: string) => createHash('sha256').update(s).digest();
const sign = (kms = t.kms, message = digest('payload')) =>
  kms.send(new SignCommand({ KeyId: keyId, Message: message, MessageType: 'DIGEST', SigningAlgorithm: 'ECDSA_SHA_256' }));
const listKeys = () => t.kms.send(new ListKeysCommand({}));

async function admin(method: string, body?: unknown) {
  const res = await fetch(`${t.server.url}/__admin/faults`, { method, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('throttling', () => {
  it('throttles exactly the next N calls with ThrottlingException (400) when SDK retries are off', async () => {
    t.server.faults.throttleNext(2);
    for (let i = 0; i < 2; i++) {
      const err = (await listKeys().catch((e: unknown) => e)) as Error & { $metadata: { httpStatusCode?: number }; $retryable?: unknown };
      expect(err.name).toBe('ThrottlingException');
      expect(err.$metadata.httpStatusCode).toBe(400);
    }
    await expect(listKeys()).resolves.toBeDefined();
  });

  it('is retried away by the SDK when retries are on', async () => {
    const retrying = client(t.server.url, { maxAttempts: 3 });
    t.server.faults.throttleNext(2);
    const out = await retrying.send(new ListKeysCommand({}));
    expect(out.$metadata.attempts).toBe(3);
    retrying.destroy();
  });

  it('throttles only the named operations for a duration', async () => {
    t.server.faults.throttleFor(60_000, ['Sign']);
    await expect(sign()).rejects.toMatchObject({ name: 'ThrottlingException' });
    await expect(sign()).rejects.toMatchObject({ name: 'ThrottlingException' });
    await expect(listKeys()).resolves.toBeDefined();
  });
});

describe('injected errors', () => {
  it('fails the next call with KMSInternalException (500) and DependencyTimeoutException (503)', async () => {
    t.server.faults.failNext(1, 'KMSInternalException');
    const err = (await sign().catch((e: unknown) => e)) as KMSInternalException;
    expect(err).toBeInstanceOf(KMSInternalException);
    expect(err.$metadata.httpStatusCode).toBe(500);
    t.server.faults.failNext(1, 'DependencyTimeoutException', { operations: ['Sign'] });
    await expect(listKeys()).resolves.toBeDefined();
    const err2 = (await sign().catch((e: unknown) => e)) as DependencyTimeoutException;
    expect(err2).toBeInstanceOf(DependencyTimeoutException);
    expect(err2.$metadata.httpStatusCode).toBe(503);
    await expect(sign()).resolves.toBeDefined();
  });

  it('can inject client errors such as NotFoundException with a custom message', async () => {
    t.server.faults.failNext(1, 'NotFoundException', { message: 'injected' });
    await expect(sign()).rejects.toThrow(NotFoundException);
  });
});

describe('latency and hangs', () => {
  it('adds latency to every call, and extra to a named operation', async () => {
    t.server.faults.setLatency(150);
    t.server.faults.setLatency(250, 'Sign');
    let t0 = Date.now();
    await listKeys();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(150);
    t0 = Date.now();
    await sign();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(400);
  });

  it('hangs a call until the client times out, then answers the next one', async () => {
    const impatient = client(t.server.url, { requestTimeout: 300 });
    t.server.faults.hang({ count: 1 });
    const err = (await impatient.send(new ListKeysCommand({})).catch((e: unknown) => e)) as Error;
    expect(err.name).toBe('TimeoutError');
    impatient.destroy();
    // the next call gets no 300 ms bound: on a loaded machine an answered call can take longer than that
    await expect(listKeys()).resolves.toBeDefined();
  });
});

describe('signature faults', () => {
  it('returns DER that does not parse when malformed signatures are on', async () => {
    t.server.faults.malformedSignatures({ count: 1 });
    const bad = await sign();
    expect(() => secp256k1.Signature.fromBytes(bad.Signature!, 'der')).toThrow();
    const good = await sign();
    expect(() => secp256k1.Signature.fromBytes(good.Signature!, 'der')).not.toThrow();
  });

  it('returns only high-S signatures, still valid, in high-S mode', async () => {
    t.server.faults.setHighS('always');
    const pk = await t.kms.send(new GetPublicKeyCommand({ KeyId: keyId }));
    const jwk = createPublicKey({ key: Buffer.from(pk.PublicKey!), format: 'der', type: 'spki' }).export({ format: 'jwk' });
    const curve = new EC('secp256k1');
    const pub = curve.keyFromPublic({
      x: Buffer.from(jwk.x!, 'base64url').toString('hex'),
      y: Buffer.from(jwk.y!, 'base64url').toString('hex'),
    });
    for (let i = 0; i < 8; i++) {
      const message = digest(`m${i}`);
      const out = await sign(t.kms, message);
      expect(secp256k1.Signature.fromBytes(out.Signature!, 'der').hasHighS()).toBe(true);
      expect(pub.verify(message, Buffer.from(out.Signature!))).toBe(true);
    }
  });
});

describe('wrong signatures and access denied', () => {
  const publicKey = async () => {
    const pk = await t.kms.send(new GetPublicKeyCommand({ KeyId: keyId }));
    const jwk = createPublicKey({ key: Buffer.from(pk.PublicKey!), format: 'der', type: 'spki' }).export({ format: 'jwk' });
    return new EC('secp256k1').keyFromPublic({
      x: Buffer.from(jwk.x!, 'base64url').toString('hex'),
      y: Buffer.from(jwk.y!, 'base64url').toString('hex'),
    });
  };

  it('returns well-formed DER that does not verify for the message when wrongSignature fires, then a good one', async () => {
    const pub = await publicKey();
    const message = digest('wrong');
    t.server.faults.set({ wrongSignature: { count: 1 } });
    const bad = await sign(t.kms, message);
    expect(() => secp256k1.Signature.fromBytes(bad.Signature!, 'der')).not.toThrow();
    expect(pub.verify(message, Buffer.from(bad.Signature!))).toBe(false);
    const flipped = Buffer.from(message);
    flipped[0] = flipped[0]! ^ 0xff;
    expect(pub.verify(flipped, Buffer.from(bad.Signature!))).toBe(true);
    expect(pub.verify(message, Buffer.from((await sign(t.kms, message)).Signature!))).toBe(true);
  });

  it('answers AccessDeniedException (400) only for the chosen key and operation', async () => {
    const other = (await t.kms.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' }))).KeyMetadata!;
    t.server.faults.set({ accessDenied: { keyIds: [keyId], operations: ['GetPublicKey'] } });
    const arn = (await t.kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata!.Arn!;
    for (const id of [keyId, arn]) {
      const err = (await t.kms.send(new GetPublicKeyCommand({ KeyId: id })).catch((e: unknown) => e)) as {
        name: string;
        $metadata: { httpStatusCode: number };
        message: string;
      };
      expect(err.name).toBe('AccessDeniedException');
      expect(err.$metadata.httpStatusCode).toBe(400);
      expect(err.message).toContain('kms:GetPublicKey');
    }
    await expect(t.kms.send(new GetPublicKeyCommand({ KeyId: other.KeyId! }))).resolves.toBeDefined();
    await expect(sign()).resolves.toBeDefined();
  });

  it('refuses a keyIds list that is not a list of non-empty strings', async () => {
    expect(() => t.server.faults.set({ accessDenied: { keyIds: [''] } })).toThrow(/accessDenied.keyIds/);
    const res = await admin('POST', { fail: { errorType: 'AccessDeniedException', keyIds: 'k' } });
    expect(res.status).toBe(400);
  });
});

describe('admin endpoint', () => {
  it('sets, shows and clears faults for a server the test does not hold in-process', async () => {
    const set = await admin('POST', { throttle: { count: 1 }, latencyMs: 5 });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ latencyMs: 5, throttle: { count: 1, remaining: 1 } });
    await expect(listKeys()).rejects.toMatchObject({ name: 'ThrottlingException' });
    expect((await admin('GET')).body.throttle).toBeUndefined();
    await admin('POST', { fail: { errorType: 'KMSInternalException' } });
    await expect(listKeys()).rejects.toBeInstanceOf(KMSInternalException);
    await expect(listKeys()).rejects.toBeInstanceOf(KMSInternalException);
    expect((await admin('DELETE')).body).toEqual({ latencyMs: 0, latencyByOperation: {}, highS: 'random' });
    await expect(listKeys()).resolves.toBeDefined();
  });

  it('refuses a fault spec it does not understand, saying why', async () => {
    const res = await admin('POST', { fail: { errorType: 'NoSuchError' } });
    expect(res.status).toBe(400);
    expect(String(res.body.error)).toMatch(/errorType/);
    const res2 = await admin('POST', { thrtotle: {} });
    expect(res2.status).toBe(400);
    expect(String(res2.body.error)).toMatch(/thrtotle/);
  });

  it('disables and re-enables a key', async () => {
    const res = await fetch(`${t.server.url}/__admin/keys/${keyId}/disable`, { method: 'POST' });
    expect(res.status).toBe(200);
    await expect(sign()).rejects.toBeInstanceOf(DisabledException);
    await fetch(`${t.server.url}/__admin/keys/${keyId}/enable`, { method: 'POST' });
    await expect(sign()).resolves.toBeDefined();
    await t.server.disableKey(keyId);
    expect((await t.kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata!.KeyState).toBe('Disabled');
    await t.server.enableKey(keyId);
  });
});

describe('faults given at start', () => {
  it('applies them from the first call', async () => {
    const s = await start({ faults: { throttle: { count: 1 }, highS: 'always' } });
    try {
      await expect(s.kms.send(new ListKeysCommand({}))).rejects.toMatchObject({ name: 'ThrottlingException' });
      expect(s.server.faults.snapshot().highS).toBe('always');
    } finally {
      await s.stop();
    }
  });
});
