import { createHash, createPublicKey, verify } from 'node:crypto';
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

describe('held calls', () => {
  const verifier = async (id = keyId) => {
    const pk = await t.kms.send(new GetPublicKeyCommand({ KeyId: id }));
    return createPublicKey({ key: Buffer.from(pk.PublicKey!), format: 'der', type: 'spki' });
  };
  /** whether `der` is the key's ECDSA signature over digest(text) */
  const verifies = (key: ReturnType<typeof createPublicKey>, text: string, der: Uint8Array) =>
    verify('sha256', Buffer.from(text), { key, dsaEncoding: 'der' }, der);
  const signOn = (id: string, message = digest('payload')) =>
    t.kms.send(new SignCommand({ KeyId: id, Message: message, MessageType: 'DIGEST', SigningAlgorithm: 'ECDSA_SHA_256' }));

  it('holds a call unanswered until released, then answers it as usual: the signature verifies', async () => {
    const key = await verifier();
    t.server.faults.hold({ operations: ['Sign'] });
    let settled = false;
    const pending = sign(t.kms, digest('held')).finally(() => (settled = true));
    await t.server.faults.waitHeld(1);
    await expect(listKeys()).resolves.toBeDefined(); // other operations are answered meanwhile
    expect(settled).toBe(false);
    expect(t.server.faults.held()).toBe(1);
    expect(t.server.faults.release()).toBe(1);
    const out = await pending;
    expect(verifies(key, 'held', out.Signature!)).toBe(true);
    expect(t.server.faults.held()).toBe(0);
  });

  it('holds only the next `count` calls of the named operations on the named keys', async () => {
    const other = (await t.kms.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' }))).KeyMetadata!.KeyId!;
    const key = await verifier();
    t.server.faults.hold({ count: 1, operations: ['Sign'], keyIds: [keyId] });
    await expect(signOn(other)).resolves.toBeDefined(); // another key
    await expect(verifier()).resolves.toBeDefined(); // another operation on the key
    const first = signOn(keyId, digest('first'));
    await t.server.faults.waitHeld(1);
    await expect(signOn(keyId)).resolves.toBeDefined(); // the count is used up: the next Sign on the key is answered
    expect(t.server.faults.held()).toBe(1);
    expect(t.server.faults.snapshot().hold).toBeUndefined();
    expect(t.server.faults.release()).toBe(1);
    expect(verifies(key, 'first', (await first).Signature!)).toBe(true);
  });

  it('{hold: null} holds no more calls and keeps the held ones; clear() releases them', async () => {
    t.server.faults.hold();
    const pending = [sign(), listKeys()];
    await t.server.faults.waitHeld(2);
    t.server.faults.set({ hold: null });
    await expect(sign()).resolves.toBeDefined();
    expect(t.server.faults.held()).toBe(2);
    t.server.faults.clear();
    await expect(Promise.all(pending)).resolves.toHaveLength(2);
    await expect(sign()).resolves.toBeDefined();
    expect(t.server.faults.release()).toBe(0);
  });

  it('over the admin endpoint: GET /__admin/held counts, POST /__admin/release says how many it released, DELETE releases', async () => {
    expect((await admin('POST', { hold: { operations: ['Sign'] } })).body.hold).toMatchObject({ operations: ['Sign'] });
    const held = async () => ((await (await fetch(`${t.server.url}/__admin/held`)).json()) as { held: number }).held;
    expect(await held()).toBe(0);
    const two = [sign(), sign()];
    await t.server.faults.waitHeld(2);
    expect(await held()).toBe(2);
    const released = await fetch(`${t.server.url}/__admin/release`, { method: 'POST' });
    expect(released.status).toBe(200);
    expect(await released.json()).toEqual({ released: 2 });
    await expect(Promise.all(two)).resolves.toHaveLength(2);
    const third = sign(); // the fault is still set
    await t.server.faults.waitHeld(1);
    expect((await admin('DELETE')).body.hold).toBeUndefined();
    await expect(third).resolves.toBeDefined();
    expect(await held()).toBe(0);
  });

  it('forgets a held call whose client gave up: it is never run, and the server goes on holding and answering', async () => {
    const lines: string[] = [];
    const s = await start({ log: (l) => lines.push(l) });
    try {
      const id = (await s.kms.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' }))).KeyMetadata!.KeyId!;
      const signHere = (abortSignal?: AbortSignal) =>
        s.kms.send(new SignCommand({ KeyId: id, Message: digest('x'), MessageType: 'DIGEST', SigningAlgorithm: 'ECDSA_SHA_256' }), {
          abortSignal,
        });
      s.server.faults.hold({ operations: ['Sign'] });
      const giveUp = new AbortController();
      const abandoned = signHere(giveUp.signal).then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      await s.server.faults.waitHeld(1);
      giveUp.abort();
      expect((await abandoned)?.name).toBe('AbortError');
      while (!lines.includes('Sign held call dropped: its client gave up')) await new Promise((r) => setTimeout(r, 10));
      expect(s.server.faults.held()).toBe(0);
      expect(s.server.faults.release()).toBe(0);
      const next = signHere();
      await s.server.faults.waitHeld(1);
      expect(s.server.faults.release()).toBe(1);
      await expect(next).resolves.toBeDefined();
      expect(lines.filter((l) => l === 'Sign 200')).toHaveLength(1); // the abandoned call never signed
    } finally {
      await s.stop();
    }
  });

  it('refuses a hold trigger with a bad count', () => {
    expect(() => t.server.faults.hold({ count: -1 })).toThrow(/hold.count/);
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
