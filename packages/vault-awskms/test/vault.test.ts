/**
 * AwsKmsVault through the real @aws-sdk/client-kms against kms-local (child process, loopback).
 */
import { createServer } from 'node:net';
import { CreateAliasCommand, ListKeysCommand, ScheduleKeyDeletionCommand } from '@aws-sdk/client-kms';
import { isSignatoryError, type Listed } from '@signatory-ts/core';
import { getPkhfromPk, verifySignature } from '@taquito/utils';
import { AwsKmsVault, type AwsKmsVaultOptions } from '../src';
import { CREDENTIALS, startKms, type KmsChild } from './kms-child';

let kms: KmsChild;
const vaults: AwsKmsVault[] = [];
const usable: Record<'tz1' | 'tz2' | 'tz3', { keyId: string; arn: string }[]> = { tz1: [], tz2: [], tz3: [] };
const unusable: Record<string, { keyId: string; arn: string }> = {};

/** A vault on kms-local; by default with a deadline no loaded machine reaches on a call that must succeed. */
function vault(opts: Partial<AwsKmsVaultOptions> = {}): AwsKmsVault {
  const v = new AwsKmsVault({ region: 'us-east-1', endpoint: kms.url, ...CREDENTIALS, deadlineMs: 60_000, ...opts });
  vaults.push(v);
  return v;
}

async function all(v: AwsKmsVault): Promise<Listed[]> {
  const out: Listed[] = [];
  for await (const l of v.list()) out.push(l);
  return out;
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a rejection');
}

beforeAll(async () => {
  kms = await startKms();
  for (let i = 0; i < 4; i++) {
    usable.tz1.push(await kms.createKey('ECC_NIST_EDWARDS25519'));
    usable.tz2.push(await kms.createKey('ECC_SECG_P256K1'));
    usable.tz3.push(await kms.createKey('ECC_NIST_P256'));
  }
  unusable.symmetric = await kms.createKey('SYMMETRIC_DEFAULT');
  unusable.hmac = await kms.createKey('HMAC_256');
  unusable.rsa = await kms.createKey('RSA_2048');
  unusable.disabled = await kms.createKey('ECC_NIST_P256');
  await kms.setKeyEnabled(unusable.disabled.keyId, false);
  unusable.pendingDeletion = await kms.createKey('ECC_SECG_P256K1');
  await kms.client.send(new ScheduleKeyDeletionCommand({ KeyId: unusable.pendingDeletion.keyId, PendingWindowInDays: 7 }));
  unusable.pendingImport = await kms.createKey('ECC_NIST_P256', { origin: 'EXTERNAL' });
  await kms.client.send(new CreateAliasCommand({ AliasName: 'alias/tezos/baker', TargetKeyId: usable.tz2[0]!.keyId }));
}, 60000);

afterEach(() => kms.clearFaults());
afterAll(async () => {
  for (const v of vaults) await v.close();
  await kms.stop();
});

describe('list', () => {
  it('pages through ListKeys and yields every usable key with its Tezos identity, and every unusable key with its reason', async () => {
    const listed = await all(vault({ listPageSize: 4, listConcurrency: 3 }));
    const ok = listed.flatMap((l) => (l.ok ? [l.key] : []));
    const bad = new Map(listed.flatMap((l) => (l.ok ? [] : [[l.id, l.reason] as const])));
    expect(listed).toHaveLength(12 + Object.keys(unusable).length); // 18 keys over 5 pages of 4
    // pipelined (next page fetched early, a window of 3 calls in flight) yet in ListKeys order
    const order = (await kms.client.send(new ListKeysCommand({ Limit: 1000 }))).Keys!.map((k) => k.KeyArn);
    expect(listed.map((l) => (l.ok ? l.key.id : l.id))).toEqual(order);
    for (const [type, keys] of Object.entries(usable)) {
      for (const { arn } of keys) {
        const k = ok.find((x) => x.id === arn);
        expect(k?.vault).toBe('AWSKMS');
        expect(k?.pkh.startsWith(type)).toBe(true);
        expect(getPkhfromPk(k!.publicKey)).toBe(k!.pkh);
      }
    }
    expect(bad.get(unusable.symmetric!.arn)).toMatch(/symmetric|no public key/);
    expect(bad.get(unusable.hmac!.arn)).toMatch(/HMAC|no public key/);
    expect(bad.get(unusable.rsa!.arn)).toMatch(/RSA key \(RSA_2048\): Tezos has no RSA accounts/);
    expect(bad.get(unusable.disabled!.arn)).toMatch(/is disabled: enable it/);
    expect(bad.get(unusable.pendingDeletion!.arn)).toMatch(/pending deletion: cancel it/);
    expect(bad.get(unusable.pendingImport!.arn)).toMatch(/waiting for its key material to be imported/);
  });

  it('shows aliases on the keys they point to, and finds a key by alias', async () => {
    const v = vault();
    const listed = await all(v);
    const baker = listed.find((l) => l.ok && l.key.id === usable.tz2[0]!.arn);
    expect(baker?.ok && (baker.key as { aliases?: readonly string[] }).aliases).toEqual(['alias/tezos/baker']);
    expect((await v.key('alias/tezos/baker')).id).toBe(usable.tz2[0]!.arn);
  });

  it('skips a key KMS denies access to, listing it with the reason, and lists every other key', async () => {
    const denied = usable.tz3[1]!;
    await kms.faults({ accessDenied: { keyIds: [denied.keyId], operations: ['GetPublicKey'] } });
    const listed = await all(vault({ retryBaseDelayMs: 1 }));
    expect(listed).toHaveLength(12 + Object.keys(unusable).length);
    const entry = listed.find((l) => !l.ok && l.id === denied.arn);
    expect(entry).toBeDefined();
    expect(!entry!.ok && entry!.reason).toMatch(
      /access denied: the AWS identity lacks kms:GetPublicKey on .*grant it in the key policy or IAM policy/,
    );
    const ok = listed.flatMap((l) => (l.ok ? [l.key.id] : []));
    expect(ok).toHaveLength(11);
    expect(ok).not.toContain(denied.arn);
  });

  it('with a keys list, reads only those keys (by id, ARN or alias, duplicates once) and says which cannot be found', async () => {
    const v = vault({
      keys: [usable.tz1[0]!.keyId, usable.tz3[1]!.arn, 'alias/tezos/baker', usable.tz2[0]!.arn, 'alias/nope', unusable.rsa!.keyId],
    });
    const listed = await all(v);
    expect(listed.map((l) => (l.ok ? l.key.id : `x ${l.id}`))).toEqual([
      usable.tz1[0]!.arn,
      usable.tz3[1]!.arn,
      usable.tz2[0]!.arn,
      'x alias/nope',
      `x ${unusable.rsa!.arn}`,
    ]);
    const missing = listed[3]!;
    expect(!missing.ok && missing.reason).toMatch(
      /alias\/nope was not found in region us-east-1: check the key id or alias, the region and the account/,
    );
  });

  it('keeps public keys after the first read: a second listing makes no GetPublicKey call for known keys', async () => {
    const v = vault({ keys: [usable.tz1[1]!.arn, usable.tz2[1]!.keyId, 'alias/tezos/baker'] });
    expect((await all(v)).every((l) => l.ok)).toBe(true);
    await kms.faults({ fail: { errorType: 'NotFoundException', operations: ['GetPublicKey'] } });
    const again = await all(v);
    expect(again.map((l) => l.ok)).toEqual([true, true, true]);
    expect((await v.key(usable.tz2[1]!.keyId)).id).toBe(usable.tz2[1]!.arn);
  });

  it('retries GetPublicKey while KMS throttles it (its quota is low) and lists every key', async () => {
    await kms.faults({ throttle: { count: 6, operations: ['GetPublicKey'] } });
    const listed = await all(vault({ keys: usable.tz3.map((k) => k.arn), listConcurrency: 2 }));
    expect(listed.map((l) => l.ok)).toEqual([true, true, true, true]);
  });

  it('fails listing with a clear error when ListKeys itself cannot be done', async () => {
    await kms.faults({ fail: { errorType: 'UnrecognizedClientException', operations: ['ListKeys'] } });
    const err = await rejection(all(vault()));
    expect(isSignatoryError(err) && err.code).toBe('vault_unavailable');
    expect(err.message).toMatch(/AWS rejected the credentials: check access_key_id/);
  });
});

describe('sign', () => {
  it.each(['tz1', 'tz2', 'tz3'] as const)('%s: 200 payloads signed in always-high-S mode all verify with Taquito', async (type) => {
    await kms.faults({ highS: 'always' });
    const key = await vault().key(usable[type][2]!.arn);
    for (let batch = 0; batch < 20; batch++) {
      const payloads = Array.from({ length: 10 }, (_, i) => Buffer.from([0x03, batch, i, ...Buffer.from(`payload ${batch}/${i}`)]));
      const sigs = await Promise.all(payloads.map((p) => key.sign(p)));
      sigs.forEach((sig, i) => {
        expect(sig.startsWith({ tz1: 'edsig', tz2: 'spsig1', tz3: 'p2sig' }[type])).toBe(true);
        expect(verifySignature(payloads[i]!.toString('hex'), key.publicKey, sig)).toBe(true);
      });
    }
  });

  // one client, its middleware stack resolved once (cacheMiddleware): calls in flight at once for
  // different keys must each get their own key's signature
  it('signs with 12 keys of all three types at once on one vault, each signature from its own key', async () => {
    const v = vault();
    const keys = await Promise.all((['tz1', 'tz2', 'tz3'] as const).flatMap((t) => usable[t].map((k) => v.key(k.arn))));
    for (let round = 0; round < 5; round++) {
      const jobs = keys.flatMap((key, k) =>
        [0, 1].map((i) => {
          const payload = Buffer.from([0x03, round, k, i]);
          return key.sign(payload).then((sig) => ({ key, payload, sig }));
        }),
      );
      for (const { key, payload, sig } of await Promise.all(jobs)) {
        expect(verifySignature(payload.toString('hex'), key.publicKey, sig)).toBe(true);
      }
    }
  });

  it('retries while KMS throttles and then succeeds', async () => {
    const key = await vault().key(usable.tz2[1]!.arn);
    await kms.faults({ throttle: { count: 3, operations: ['Sign'] } }); // signs only at the 4th attempt
    const sig = await key.sign(Buffer.from('03aa', 'hex'));
    expect(verifySignature('03aa', key.publicKey, sig)).toBe(true);
  });

  it('gives up on throttling at the deadline with an error that names it', async () => {
    const key = await vault({ deadlineMs: 1000 }).key(usable.tz2[1]!.arn);
    await kms.faults({ throttle: { operations: ['Sign'] } });
    const err = await rejection(key.sign(Buffer.from('03aa', 'hex')));
    expect(err.message).toMatch(/KMS kept throttling Sign after \d+ attempts/);
  });

  it('retries a KMS internal error', async () => {
    const key = await vault().key(usable.tz3[1]!.arn);
    await kms.faults({ fail: { count: 2, errorType: 'KMSInternalException', operations: ['Sign'] } });
    expect(verifySignature('03bb', key.publicKey, await key.sign(Buffer.from('03bb', 'hex')))).toBe(true);
  });

  it('fails at once, saying so, when the key is disabled mid-run, and works again once enabled', async () => {
    // "at once": not retried until the deadline, which is far beyond jest's timeout (no elapsed-time bound)
    const key = await vault({ deadlineMs: 600_000 }).key(usable.tz3[3]!.arn);
    await key.sign(Buffer.from('0301', 'hex'));
    await kms.setKeyEnabled(usable.tz3[3]!.keyId, false);
    try {
      const err = await rejection(key.sign(Buffer.from('0302', 'hex')));
      expect(isSignatoryError(err) && err.code).toBe('vault_unavailable');
      expect(err.message).toMatch(/is disabled: enable it \(aws kms enable-key/);
    } finally {
      await kms.setKeyEnabled(usable.tz3[3]!.keyId, true);
    }
    expect(verifySignature('0303', key.publicKey, await key.sign(Buffer.from('0303', 'hex')))).toBe(true);
  });

  it.each([
    ['tz2', /malformed DER signature/],
    ['tz3', /malformed DER signature/],
    ['tz1', /Ed25519 signature of \d+ bytes/],
  ] as const)('%s: refuses a malformed signature from KMS and returns none', async (type, message) => {
    const key = await vault().key(usable[type][3]!.arn);
    await kms.faults({ malformedSignature: { count: 1 } });
    const err = await rejection(key.sign(Buffer.from('03cc', 'hex')));
    expect(err.message).toMatch(message);
    expect(err.message).toMatch(/it was not used/);
  });

  it.each(['tz1', 'tz2', 'tz3'] as const)(
    '%s: refuses a well-formed signature that does not verify, with a typed error, and returns none',
    async (type) => {
      const key = await vault().key(usable[type][2]!.arn);
      await kms.faults({ wrongSignature: { count: 1, keyIds: [usable[type][2]!.keyId] } });
      const err = await rejection(key.sign(Buffer.from('03ee', 'hex')));
      expect(isSignatoryError(err) && err.code).toBe('vault_unavailable');
      expect(err.message).toMatch(/a signature that does not verify against the key’s public key/);
      expect(err.message).toContain(key.pkh);
      expect(verifySignature('03ee', key.publicKey, await key.sign(Buffer.from('03ee', 'hex')))).toBe(true);
    },
  );

  it('fails a Sign KMS denies at once (no retries) with the permission to grant', async () => {
    const key = await vault({ retryBaseDelayMs: 1 }).key(usable.tz2[2]!.arn);
    await kms.faults({ accessDenied: { count: 1, operations: ['Sign'], keyIds: [usable.tz2[2]!.keyId] } });
    const err = await rejection(key.sign(Buffer.from('03ef', 'hex')));
    expect(isSignatoryError(err)).toBe(true);
    expect(err.message).toMatch(/access denied: the AWS identity lacks kms:Sign/);
  });

  it('aborts a hung call at the request timeout and retries it', async () => {
    // the hung attempt is cut at 5 s; the retry, which must answer, has that long too on a loaded machine
    const key = await vault({ attemptTimeoutMs: 5000 }).key(usable.tz1[3]!.arn);
    await kms.faults({ hang: { count: 1, operations: ['Sign'] } });
    expect(verifySignature('03dd', key.publicKey, await key.sign(Buffer.from('03dd', 'hex')))).toBe(true);
  });

  it('does not hang past the deadline when KMS never answers', async () => {
    // two attempts of 1.5 s each: the first cut may fire late by up to 1.45 s and still leave time for a second
    const key = await vault({ deadlineMs: 3000 }).key(usable.tz1[3]!.arn);
    await kms.faults({ hang: { operations: ['Sign'] } });
    const err = await rejection(key.sign(Buffer.from('03dd', 'hex')));
    expect(err.message).toMatch(/got no answer in 2 attempts over \d+ ms \(the last one cut after \d+ ms; deadline 3000 ms\)/);
  });
});

describe('configuration', () => {
  it('reports an unreachable endpoint clearly within the deadline instead of hanging', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const v = vault({ endpoint: `http://127.0.0.1:${port}`, deadlineMs: 1000 });
    const err = await rejection(all(v));
    expect(isSignatoryError(err) && err.code).toBe('vault_unavailable');
    expect(err.message).toMatch(new RegExp(`http://127.0.0.1:${port}`));
    expect(err.message).toMatch(/unreachable|did not succeed within/);
    await expect(v.ready()).rejects.toThrow(/127\.0\.0\.1/);
  });

  it('passes configured credentials to the client, not the environment, and says when they are wrong', async () => {
    const before = { ...process.env };
    const v = vault({ secretAccessKey: 'wrong-secret' });
    expect(process.env).toEqual(before);
    const err = await rejection(v.ready());
    expect(err.message).toMatch(/AWS rejected the credentials/);
    expect(err.message).not.toContain('wrong-secret');
    await expect(vault().ready()).resolves.toBeUndefined();
  });
});
