import { createHash, createPublicKey, verify as nodeVerify } from 'node:crypto';
import {
  AlreadyExistsException,
  CancelKeyDeletionCommand,
  CreateAliasCommand,
  CreateKeyCommand,
  DescribeKeyCommand,
  DisabledException,
  DisableKeyCommand,
  EnableKeyCommand,
  GetPublicKeyCommand,
  InvalidAliasNameException,
  InvalidKeyUsageException,
  InvalidMarkerException,
  KMSInvalidSignatureException,
  KMSInvalidStateException,
  KMSServiceException,
  ListAliasesCommand,
  ListKeysCommand,
  ListResourceTagsCommand,
  NotFoundException,
  ScheduleKeyDeletionCommand,
  SignCommand,
  TagResourceCommand,
  UnsupportedOperationException,
  VerifyCommand,
  type KeySpec,
} from '@aws-sdk/client-kms';
import { secp256k1 } from '@noble/curves/secp256k1';
import { ec as EC } from 'elliptic';
import { client, start, type Started } from './harness';

const digest = (text: string) => createHash('sha256').update(text).digest();
/** An ECDSA Sign of a 32-byte digest (the call a Tezos signer makes for tz2 and tz3 keys). */
const signDigest = (KeyId: string | undefined, Message: Uint8Array = Buffer.alloc(32)) =>
  t.kms.send(new SignCommand({ KeyId, Message, MessageType: 'DIGEST', SigningAlgorithm: 'ECDSA_SHA_256' }));

/** elliptic, not the noble that kms-local signs with: signatures are checked by an independent implementation. */
function ellipticPublic(spki: Uint8Array, curve: 'p256' | 'secp256k1') {
  const jwk = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' }).export({ format: 'jwk' });
  return new EC(curve).keyFromPublic({
    x: Buffer.from(jwk.x!, 'base64url').toString('hex'),
    y: Buffer.from(jwk.y!, 'base64url').toString('hex'),
  });
}

let t: Started;
beforeAll(async () => {
  t = await start();
});
afterAll(async () => {
  await t.stop();
});

async function createKey(KeySpec: KeySpec, KeyUsage: 'SIGN_VERIFY' | 'ENCRYPT_DECRYPT' | 'GENERATE_VERIFY_MAC' = 'SIGN_VERIFY') {
  const out = await t.kms.send(new CreateKeyCommand({ KeySpec, KeyUsage }));
  return out.KeyMetadata!;
}

describe('CreateKey and DescribeKey', () => {
  it('creates an enabled ECC key whose metadata carries the ARN, spec and signing algorithms', async () => {
    const meta = await createKey('ECC_SECG_P256K1');
    expect(meta.Arn).toBe(`arn:aws:kms:us-east-1:111122223333:key/${meta.KeyId}`);
    expect(meta).toMatchObject({
      KeyState: 'Enabled',
      Enabled: true,
      KeySpec: 'ECC_SECG_P256K1',
      KeyUsage: 'SIGN_VERIFY',
      Origin: 'AWS_KMS',
      SigningAlgorithms: ['ECDSA_SHA_256'],
    });
    expect(meta.CreationDate).toBeInstanceOf(Date);
    expect(Math.abs(meta.CreationDate!.getTime() - Date.now())).toBeLessThan(60_000);
    const described = await t.kms.send(new DescribeKeyCommand({ KeyId: meta.KeyId }));
    expect(described.KeyMetadata).toEqual(meta);
  });

  it('rejects a key usage the spec does not allow', async () => {
    await expect(t.kms.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'ENCRYPT_DECRYPT' }))).rejects.toMatchObject({
      name: 'ValidationException',
    });
  });

  it('describes an unknown key as NotFoundException', async () => {
    const err = await t.kms.send(new DescribeKeyCommand({ KeyId: '00000000-0000-4000-8000-000000000000' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotFoundException);
    expect((err as NotFoundException).$metadata.httpStatusCode).toBe(400);
  });
});

describe('KeyId forms', () => {
  it('resolves key id, key ARN, alias name and alias ARN to the same key, answering with the key ARN', async () => {
    const meta = await createKey('ECC_NIST_P256');
    await t.kms.send(new CreateAliasCommand({ AliasName: 'alias/forms/p256', TargetKeyId: meta.KeyId }));
    const forms = [meta.KeyId!, meta.Arn!, 'alias/forms/p256', 'arn:aws:kms:us-east-1:111122223333:alias/forms/p256'];
    for (const KeyId of forms) {
      const pk = await t.kms.send(new GetPublicKeyCommand({ KeyId }));
      expect(pk.KeyId).toBe(meta.Arn);
      const d = await t.kms.send(new DescribeKeyCommand({ KeyId }));
      expect(d.KeyMetadata!.KeyId).toBe(meta.KeyId);
    }
  });

  it('does not find a key through an ARN of another region or account, nor from a client in another region', async () => {
    const meta = await createKey('ECC_NIST_P256');
    for (const KeyId of [
      meta.Arn!.replace('us-east-1', 'eu-west-1'),
      meta.Arn!.replace('111122223333', '999999999999'),
      'alias/never-created',
    ]) {
      await expect(t.kms.send(new DescribeKeyCommand({ KeyId }))).rejects.toBeInstanceOf(NotFoundException);
    }
    const other = client(t.server.url, { region: 'eu-west-1' });
    await expect(other.send(new DescribeKeyCommand({ KeyId: meta.KeyId }))).rejects.toBeInstanceOf(NotFoundException);
    other.destroy();
  });
});

describe('ListKeys and ListAliases pagination', () => {
  it('pages ListKeys with Limit/Marker until Truncated is false and returns every key once', async () => {
    const created = new Set<string>();
    for (let i = 0; i < 7; i++) created.add((await createKey('SYMMETRIC_DEFAULT', 'ENCRYPT_DECRYPT')).KeyId!);
    const seen: string[] = [];
    let marker: string | undefined;
    let pages = 0;
    do {
      const out = await t.kms.send(new ListKeysCommand({ Limit: 3, Marker: marker }));
      pages++;
      expect(out.Keys!.length).toBeLessThanOrEqual(3);
      for (const k of out.Keys!) {
        expect(k.KeyArn).toBe(`arn:aws:kms:us-east-1:111122223333:key/${k.KeyId}`);
        seen.push(k.KeyId!);
      }
      marker = out.Truncated ? out.NextMarker : undefined;
      if (out.Truncated) expect(out.NextMarker).toBeTruthy();
    } while (marker);
    expect(new Set(seen).size).toBe(seen.length);
    for (const id of created) expect(seen).toContain(id);
    expect(pages).toBeGreaterThanOrEqual(3);
  });

  it('pages ListAliases and lists AWS-managed aliases without TargetKeyId', async () => {
    const meta = await createKey('ECC_NIST_EDWARDS25519');
    for (let i = 0; i < 5; i++) await t.kms.send(new CreateAliasCommand({ AliasName: `alias/page/${i}`, TargetKeyId: meta.Arn }));
    const all: { AliasName?: string; TargetKeyId?: string; AliasArn?: string }[] = [];
    let marker: string | undefined;
    do {
      const out = await t.kms.send(new ListAliasesCommand({ Limit: 2, Marker: marker }));
      all.push(...out.Aliases!);
      marker = out.Truncated ? out.NextMarker : undefined;
    } while (marker);
    const mine = all.filter((a) => a.AliasName!.startsWith('alias/page/'));
    expect(mine.map((a) => a.AliasName)).toEqual([0, 1, 2, 3, 4].map((i) => `alias/page/${i}`));
    expect(mine.every((a) => a.TargetKeyId === meta.KeyId)).toBe(true);
    const managed = all.filter((a) => a.AliasName!.startsWith('alias/aws/'));
    expect(managed.length).toBeGreaterThan(0);
    expect(managed.every((a) => a.TargetKeyId === undefined)).toBe(true);
    const filtered = await t.kms.send(new ListAliasesCommand({ KeyId: meta.KeyId }));
    expect(filtered.Aliases!.map((a) => a.AliasName).sort()).toEqual(mine.map((a) => a.AliasName));
  });

  it('rejects a marker it did not issue', async () => {
    await expect(t.kms.send(new ListKeysCommand({ Marker: 'bm90LWEtbWFya2Vy' }))).rejects.toBeInstanceOf(InvalidMarkerException);
    await expect(t.kms.send(new ListAliasesCommand({ Limit: 101 }))).rejects.toMatchObject({ name: 'ValidationException' });
  });
});

describe('tags', () => {
  it('keeps tags from CreateKey and TagResource (replacing same keys) and pages ListResourceTags', async () => {
    const meta = (
      await t.kms.send(
        new CreateKeyCommand({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY', Tags: [{ TagKey: 'role', TagValue: 'baker' }] }),
      )
    ).KeyMetadata!;
    await t.kms.send(
      new TagResourceCommand({
        KeyId: meta.Arn,
        Tags: [
          { TagKey: 'role', TagValue: 'signer' },
          { TagKey: 'env', TagValue: 'test' },
        ],
      }),
    );
    const first = await t.kms.send(new ListResourceTagsCommand({ KeyId: meta.KeyId, Limit: 1 }));
    expect(first.Truncated).toBe(true);
    const second = await t.kms.send(new ListResourceTagsCommand({ KeyId: meta.KeyId, Limit: 1, Marker: first.NextMarker }));
    expect(second.Truncated).toBe(false);
    expect([...first.Tags!, ...second.Tags!]).toEqual([
      { TagKey: 'env', TagValue: 'test' },
      { TagKey: 'role', TagValue: 'signer' },
    ]);
  });
});

describe('CreateAlias', () => {
  it('refuses duplicate, malformed and reserved names with the KMS exception types', async () => {
    const meta = await createKey('ECC_NIST_P256');
    await t.kms.send(new CreateAliasCommand({ AliasName: 'alias/dup', TargetKeyId: meta.KeyId }));
    await expect(t.kms.send(new CreateAliasCommand({ AliasName: 'alias/dup', TargetKeyId: meta.KeyId }))).rejects.toBeInstanceOf(
      AlreadyExistsException,
    );
    for (const AliasName of ['noprefix', 'alias/bad name', 'alias/aws/mine']) {
      await expect(t.kms.send(new CreateAliasCommand({ AliasName, TargetKeyId: meta.KeyId }))).rejects.toBeInstanceOf(
        InvalidAliasNameException,
      );
    }
    await expect(
      t.kms.send(new CreateAliasCommand({ AliasName: 'alias/nokey', TargetKeyId: '00000000-0000-4000-8000-000000000000' })),
    ).rejects.toBeInstanceOf(NotFoundException);
  });
});

describe('Sign, Verify and GetPublicKey', () => {
  it.each([
    ['ECC_NIST_P256', 'p256', 91],
    ['ECC_SECG_P256K1', 'secp256k1', 88],
  ] as const)('signs a 32-byte DIGEST with %s as DER that verifies against the SPKI public key', async (spec, curve, spkiLength) => {
    const meta = await createKey(spec);
    const pk = await t.kms.send(new GetPublicKeyCommand({ KeyId: meta.KeyId }));
    expect(pk.PublicKey!.length).toBe(spkiLength);
    expect(pk).toMatchObject({ KeySpec: spec, KeyUsage: 'SIGN_VERIFY', SigningAlgorithms: ['ECDSA_SHA_256'] });
    const message = digest('tezos payload');
    const out = await signDigest(meta.KeyId, message);
    expect(out.KeyId).toBe(meta.Arn);
    const sig = Buffer.from(out.Signature!);
    expect(sig[0]).toBe(0x30);
    const key = ellipticPublic(pk.PublicKey!, curve);
    expect(key.verify(message, sig)).toBe(true);
    expect(key.verify(digest('other payload'), sig)).toBe(false);
    const v = await t.kms.send(
      new VerifyCommand({ KeyId: meta.KeyId, Message: message, MessageType: 'DIGEST', Signature: sig, SigningAlgorithm: 'ECDSA_SHA_256' }),
    );
    expect(v.SignatureValid).toBe(true);
    await expect(
      t.kms.send(
        new VerifyCommand({
          KeyId: meta.KeyId,
          Message: digest('other'),
          MessageType: 'DIGEST',
          Signature: sig,
          SigningAlgorithm: 'ECDSA_SHA_256',
        }),
      ),
    ).rejects.toBeInstanceOf(KMSInvalidSignatureException);
  });

  it('signs RAW ECDSA messages by hashing them with SHA-256 first (so node:crypto verify agrees)', async () => {
    const meta = await createKey('ECC_NIST_P256');
    const pk = await t.kms.send(new GetPublicKeyCommand({ KeyId: meta.KeyId }));
    const message = Buffer.from('raw message');
    const out = await t.kms.send(
      new SignCommand({ KeyId: meta.KeyId, Message: message, MessageType: 'RAW', SigningAlgorithm: 'ECDSA_SHA_256' }),
    );
    const publicKey = createPublicKey({ key: Buffer.from(pk.PublicKey!), format: 'der', type: 'spki' });
    expect(nodeVerify('sha256', message, publicKey, Buffer.from(out.Signature!))).toBe(true);
  });

  it('leaves S un-normalised: over many signatures some S are above n/2 and some below', async () => {
    const meta = await createKey('ECC_SECG_P256K1');
    let high = 0;
    const n = 24;
    for (let i = 0; i < n; i++) {
      const out = await signDigest(meta.KeyId, digest(`m${i}`));
      if (secp256k1.Signature.fromBytes(out.Signature!, 'der').hasHighS()) high++;
    }
    // P(all 24 on one side) = 2^-23
    expect(high).toBeGreaterThan(0);
    expect(high).toBeLessThan(n);
  });

  it('verifies a high-S DER signature and refuses the same signature as 64 bytes r‖s (Verify takes DER only)', async () => {
    const meta = await createKey('ECC_SECG_P256K1');
    const message = digest('high-S verify');
    t.server.faults.setHighS('always');
    const out = await signDigest(meta.KeyId, message);
    t.server.faults.setHighS('random');
    const der = Buffer.from(out.Signature!);
    const verify = (Signature: Uint8Array) =>
      t.kms.send(
        new VerifyCommand({ KeyId: meta.KeyId, Message: message, MessageType: 'DIGEST', Signature, SigningAlgorithm: 'ECDSA_SHA_256' }),
      );
    expect((await verify(der)).SignatureValid).toBe(true);
    const compact = secp256k1.Signature.fromBytes(der, 'der').toBytes('compact');
    await expect(verify(compact)).rejects.toBeInstanceOf(KMSInvalidSignatureException);
  });

  it('signs RAW messages with Ed25519 into 64 bytes that node:crypto verifies against the 44-byte SPKI', async () => {
    const meta = await createKey('ECC_NIST_EDWARDS25519');
    expect(meta.SigningAlgorithms).toEqual(['ED25519_SHA_512', 'ED25519_PH_SHA_512']);
    const pk = await t.kms.send(new GetPublicKeyCommand({ KeyId: meta.KeyId }));
    expect(pk.PublicKey!.length).toBe(44);
    const message = digest('tz1 payload');
    const out = await t.kms.send(
      new SignCommand({ KeyId: meta.KeyId, Message: message, MessageType: 'RAW', SigningAlgorithm: 'ED25519_SHA_512' }),
    );
    expect(out.Signature!.length).toBe(64);
    const publicKey = createPublicKey({ key: Buffer.from(pk.PublicKey!), format: 'der', type: 'spki' });
    expect(nodeVerify(null, message, publicKey, Buffer.from(out.Signature!))).toBe(true);
    expect(nodeVerify(null, digest('x'), publicKey, Buffer.from(out.Signature!))).toBe(false);
  });

  it('enforces the message rules: 32-byte DIGEST for ECDSA, RAW for ED25519_SHA_512, algorithms of the key spec', async () => {
    const ecc = await createKey('ECC_NIST_P256');
    const ed = await createKey('ECC_NIST_EDWARDS25519');
    await expect(signDigest(ecc.KeyId, Buffer.alloc(31, 1))).rejects.toMatchObject({ name: 'ValidationException' });
    await expect(
      t.kms.send(
        new SignCommand({ KeyId: ed.KeyId, Message: Buffer.alloc(32, 1), MessageType: 'DIGEST', SigningAlgorithm: 'ED25519_SHA_512' }),
      ),
    ).rejects.toMatchObject({ name: 'ValidationException' });
    await expect(
      t.kms.send(
        new SignCommand({ KeyId: ed.KeyId, Message: Buffer.alloc(32, 1), MessageType: 'RAW', SigningAlgorithm: 'ED25519_PH_SHA_512' }),
      ),
    ).rejects.toMatchObject({ name: 'ValidationException' });
    await expect(
      t.kms.send(
        new SignCommand({ KeyId: ecc.KeyId, Message: Buffer.alloc(32, 1), MessageType: 'RAW', SigningAlgorithm: 'ED25519_SHA_512' }),
      ),
    ).rejects.toBeInstanceOf(InvalidKeyUsageException);
  });

  it('treats symmetric and HMAC keys as keys a signer must skip', async () => {
    for (const [spec, usage] of [
      ['SYMMETRIC_DEFAULT', 'ENCRYPT_DECRYPT'],
      ['HMAC_256', 'GENERATE_VERIFY_MAC'],
    ] as const) {
      const meta = await createKey(spec, usage);
      await expect(t.kms.send(new GetPublicKeyCommand({ KeyId: meta.KeyId }))).rejects.toBeInstanceOf(UnsupportedOperationException);
      await expect(signDigest(meta.KeyId)).rejects.toBeInstanceOf(InvalidKeyUsageException);
    }
  });

  it('serves an RSA_2048 signing key whose public key is RSA and which refuses ECDSA', async () => {
    const meta = await createKey('RSA_2048');
    const pk = await t.kms.send(new GetPublicKeyCommand({ KeyId: meta.KeyId }));
    expect(createPublicKey({ key: Buffer.from(pk.PublicKey!), format: 'der', type: 'spki' }).asymmetricKeyType).toBe('rsa');
    const msg = Buffer.from('hello');
    const out = await t.kms.send(
      new SignCommand({ KeyId: meta.KeyId, Message: msg, MessageType: 'RAW', SigningAlgorithm: 'RSASSA_PKCS1_V1_5_SHA_256' }),
    );
    expect(
      nodeVerify(
        'sha256',
        msg,
        createPublicKey({ key: Buffer.from(pk.PublicKey!), format: 'der', type: 'spki' }),
        Buffer.from(out.Signature!),
      ),
    ).toBe(true);
    await expect(signDigest(meta.KeyId)).rejects.toBeInstanceOf(InvalidKeyUsageException);
  });

  it('answers DryRun with DryRunOperationException and signs nothing', async () => {
    const meta = await createKey('ECC_NIST_P256');
    await expect(
      t.kms.send(
        new SignCommand({
          KeyId: meta.KeyId,
          Message: Buffer.alloc(32, 7),
          MessageType: 'DIGEST',
          SigningAlgorithm: 'ECDSA_SHA_256',
          DryRun: true,
        }),
      ),
    ).rejects.toMatchObject({ name: 'DryRunOperationException' });
  });
});

describe('key states', () => {
  it('refuses Sign and GetPublicKey on a disabled key until it is enabled again', async () => {
    const meta = await createKey('ECC_NIST_P256');
    await t.kms.send(new DisableKeyCommand({ KeyId: meta.KeyId }));
    const sign = () => signDigest(meta.KeyId, Buffer.alloc(32, 2));
    await expect(sign()).rejects.toBeInstanceOf(DisabledException);
    await expect(t.kms.send(new GetPublicKeyCommand({ KeyId: meta.KeyId }))).rejects.toBeInstanceOf(DisabledException);
    expect((await t.kms.send(new DescribeKeyCommand({ KeyId: meta.KeyId }))).KeyMetadata).toMatchObject({
      KeyState: 'Disabled',
      Enabled: false,
    });
    await t.kms.send(new EnableKeyCommand({ KeyId: meta.KeyId }));
    await expect(sign()).resolves.toMatchObject({ KeyId: meta.Arn });
  });

  it('schedules deletion in 7-30 days, refuses use with KMSInvalidStateException, and cancels back to Disabled', async () => {
    const meta = await createKey('ECC_SECG_P256K1');
    await expect(t.kms.send(new ScheduleKeyDeletionCommand({ KeyId: meta.KeyId, PendingWindowInDays: 3 }))).rejects.toMatchObject({
      name: 'ValidationException',
    });
    const out = await t.kms.send(new ScheduleKeyDeletionCommand({ KeyId: meta.KeyId, PendingWindowInDays: 7 }));
    expect(out).toMatchObject({ KeyId: meta.Arn, KeyState: 'PendingDeletion', PendingWindowInDays: 7 });
    expect(Math.round((out.DeletionDate!.getTime() - Date.now()) / 86_400_000)).toBe(7);
    await expect(t.kms.send(new GetPublicKeyCommand({ KeyId: meta.KeyId }))).rejects.toBeInstanceOf(KMSInvalidStateException);
    await expect(t.kms.send(new ScheduleKeyDeletionCommand({ KeyId: meta.KeyId }))).rejects.toBeInstanceOf(KMSInvalidStateException);
    const listed = await t.kms.send(new ListKeysCommand({ Limit: 1000 }));
    expect(listed.Keys!.map((k) => k.KeyId)).toContain(meta.KeyId);
    await t.kms.send(new CancelKeyDeletionCommand({ KeyId: meta.KeyId }));
    const after = (await t.kms.send(new DescribeKeyCommand({ KeyId: meta.KeyId }))).KeyMetadata!;
    expect(after).toMatchObject({ KeyState: 'Disabled', Enabled: false });
    expect(after.DeletionDate).toBeUndefined();
  });

  it('surfaces every error as a KMSServiceException subclass with a message', async () => {
    const err = await t.kms.send(new GetPublicKeyCommand({ KeyId: 'alias/missing' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KMSServiceException);
    expect((err as Error).message).toContain('alias/missing');
  });
});
