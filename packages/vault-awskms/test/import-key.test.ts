/**
 * importKey / generateKey through the real @aws-sdk/client-kms against kms-local (in-process,
 * real HTTP on loopback). Keys come from node:crypto; each imported key then signs through KMS and
 * the signature is checked with node:crypto against the public key of the original secret.
 */
import { generateKeyPairSync, verify, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeKeyCommand, KMSClient, ListAliasesCommand, ListKeysCommand, SignCommand } from '@aws-sdk/client-kms';
import { startKmsLocal, type KmsLocal } from '@signatory-ts/kms-local';
import { blake2b256, publicKeyFromSpki } from '@signatory-ts/core';
import { getPkhfromPk } from '@taquito/utils';
import { ec } from 'elliptic';
import { generateKey, importKey, kmsTezosKey, type KmsKeyType, type WrappingAlgorithm } from '../src';

let kms: KmsLocal;
let client: KMSClient;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vault-awskms-import-'));
  kms = await startKmsLocal({ dir });
  client = new KMSClient({
    endpoint: kms.url,
    region: 'us-east-1',
    maxAttempts: 1,
    credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test' },
  });
});
afterAll(async () => {
  client.destroy();
  await kms.close();
  rmSync(dir, { recursive: true, force: true });
});
afterEach(() => kms.faults.clear());

function keyPair(type: KmsKeyType) {
  const pair =
    type === 'tz1'
      ? generateKeyPairSync('ed25519')
      : generateKeyPairSync('ec', { namedCurve: type === 'tz2' ? 'secp256k1' : 'prime256v1' });
  const pkcs8 = pair.privateKey.export({ format: 'der', type: 'pkcs8' });
  const expected = kmsTezosKey(publicKeyFromSpki(pair.publicKey.export({ format: 'der', type: 'spki' })));
  return { pkcs8, publicKey: pair.publicKey, expected };
}

async function kmsSignatureVerifies(keyId: string, type: KmsKeyType, publicKey: KeyObject): Promise<boolean> {
  const digest = blake2b256(Buffer.from('a payload to sign'));
  const r = await client.send(
    new SignCommand(
      type === 'tz1'
        ? { KeyId: keyId, Message: digest, MessageType: 'RAW', SigningAlgorithm: 'ED25519_SHA_512' }
        : { KeyId: keyId, Message: digest, MessageType: 'DIGEST', SigningAlgorithm: 'ECDSA_SHA_256' },
    ),
  );
  const sig = Buffer.from(r.Signature!);
  if (type === 'tz1') return verify(null, digest, publicKey, sig);
  // ECDSA over the blake2b digest itself (node:crypto would hash it again): elliptic verifies the DER signature
  const curve = new ec(type === 'tz2' ? 'secp256k1' : 'p256');
  const point = publicKey.export({ format: 'der', type: 'spki' }).subarray(-65);
  return curve.keyFromPublic(point).verify(digest, sig);
}

async function keyState(keyId: string) {
  return (await client.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata!.KeyState;
}

async function allKeyIds(): Promise<string[]> {
  const r = await client.send(new ListKeysCommand({ Limit: 1000 }));
  return (r.Keys ?? []).map((k) => k.KeyArn!);
}

describe('importKey', () => {
  it.each<[KmsKeyType, WrappingAlgorithm]>([
    ['tz1', 'RSAES_OAEP_SHA_256'],
    ['tz2', 'RSAES_OAEP_SHA_256'],
    ['tz3', 'RSAES_OAEP_SHA_256'],
    ['tz2', 'RSA_AES_KEY_WRAP_SHA_256'],
    ['tz3', 'RSA_AES_KEY_WRAP_SHA_256'],
  ])('imports a %s key wrapped with %s; KMS then holds that key and signs with it', async (type, wrappingAlgorithm) => {
    const k = keyPair(type);
    const made = await importKey(client, { type, pkcs8: k.pkcs8, pkh: k.expected.pkh, wrappingAlgorithm });
    expect(made.pkh).toBe(k.expected.pkh);
    expect(made.publicKey).toBe(k.expected.publicKey);
    expect(made.keyId).toMatch(/^arn:aws:kms:us-east-1:111122223333:key\//);
    expect(await keyState(made.keyId)).toBe('Enabled');
    expect(await kmsSignatureVerifies(made.keyId, type, k.publicKey)).toBe(true);
  });

  it('creates the alias when asked, with or without the alias/ prefix', async () => {
    const k = keyPair('tz3');
    const made = await importKey(client, { type: 'tz3', pkcs8: k.pkcs8, pkh: k.expected.pkh, alias: 'baker/main' });
    expect(made.alias).toBe('alias/baker/main');
    const aliases = (await client.send(new ListAliasesCommand({ KeyId: made.keyId }))).Aliases ?? [];
    expect(aliases.map((a) => a.AliasName)).toEqual(['alias/baker/main']);
  });

  it('refuses a bad alias before creating anything', async () => {
    const before = await allKeyIds();
    const k = keyPair('tz3');
    await expect(importKey(client, { type: 'tz3', pkcs8: k.pkcs8, pkh: k.expected.pkh, alias: 'aws/mine' })).rejects.toThrow(
      /not a valid KMS alias/,
    );
    await expect(importKey(client, { type: 'tz3', pkcs8: k.pkcs8, pkh: k.expected.pkh, alias: 'has space' })).rejects.toThrow(
      /not a valid KMS alias/,
    );
    expect(await allKeyIds()).toEqual(before);
  });

  it('refuses an alias that already names a key before creating anything', async () => {
    const first = keyPair('tz2');
    await importKey(client, { type: 'tz2', pkcs8: first.pkcs8, pkh: first.expected.pkh, alias: 'taken' });
    const before = await allKeyIds();
    const k = keyPair('tz3');
    await expect(importKey(client, { type: 'tz3', pkcs8: k.pkcs8, pkh: k.expected.pkh, alias: 'taken' })).rejects.toThrow(
      /alias alias\/taken already names key arn:aws:kms:\S+: choose another alias \(nothing was created\)/,
    );
    await expect(generateKey(client, { type: 'tz3', alias: 'alias/taken' })).rejects.toThrow(/already names key/);
    expect(await allKeyIds()).toEqual(before);
  });

  it('schedules the new key for deletion when ImportKeyMaterial fails, and says so', async () => {
    const k = keyPair('tz2');
    const before = new Set(await allKeyIds());
    kms.faults.failNext(1, 'KMSInternalException', { operations: ['ImportKeyMaterial'] });
    const err = await importKey(client, { type: 'tz2', pkcs8: k.pkcs8, pkh: k.expected.pkh }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(
      /^import failed: KMSInternalException: .*; key arn:aws:kms:\S+ is scheduled for deletion on \d{4}-/,
    );
    const added = (await allKeyIds()).filter((id) => !before.has(id));
    expect(added).toHaveLength(1);
    expect(await keyState(added[0]!)).toBe('PendingDeletion');
  });

  it('schedules the key for deletion when KMS ends up with another key than the secret given', async () => {
    const k = keyPair('tz3');
    const other = keyPair('tz3');
    const err = await importKey(client, { type: 'tz3', pkcs8: k.pkcs8, pkh: other.expected.pkh }).catch((e: Error) => e);
    expect((err as Error).message).toContain(`KMS holds ${k.expected.pkh} after the import, not ${other.expected.pkh}`);
    const arn = /key (arn:\S+) is scheduled for deletion/.exec((err as Error).message)?.[1];
    expect(await keyState(arn!)).toBe('PendingDeletion');
  });

  it('says so when the key material is not of the key spec (KMS refuses it) and deletes the key', async () => {
    const k = keyPair('tz2');
    const err = await importKey(client, { type: 'tz3', pkcs8: k.pkcs8, pkh: k.expected.pkh }).catch((e: Error) => e);
    expect((err as Error).message).toMatch(/IncorrectKeyMaterialException.*scheduled for deletion/);
  });
});

describe('generateKey', () => {
  it.each<KmsKeyType>(['tz1', 'tz2', 'tz3'])('makes a %s key in KMS and returns its pkh and public key', async (type) => {
    const made = await generateKey(client, { type, alias: `gen-${type}` });
    expect(made.pkh.startsWith(type)).toBe(true);
    expect(getPkhfromPk(made.publicKey)).toBe(made.pkh);
    expect(made.alias).toBe(`alias/gen-${type}`);
    expect(await keyState(made.keyId)).toBe('Enabled');
  });
});
