import { constants, createCipheriv, createPublicKey, generateKeyPairSync, publicEncrypt, randomBytes, type KeyObject } from 'node:crypto';
import {
  CreateKeyCommand,
  DescribeKeyCommand,
  ExpiredImportTokenException,
  GetParametersForImportCommand,
  GetPublicKeyCommand,
  ImportKeyMaterialCommand,
  IncorrectKeyMaterialException,
  InvalidCiphertextException,
  InvalidImportTokenException,
  KMSInvalidStateException,
  SignCommand,
  UnsupportedOperationException,
  type AlgorithmSpec,
  type KeySpec,
} from '@aws-sdk/client-kms';
import { start, type Started } from './harness';

let clock = Date.now();
let t: Started;
beforeAll(async () => {
  t = await start({ now: () => clock });
});
afterAll(async () => {
  await t.stop();
});

const pkcs8 = (key: KeyObject) => key.export({ format: 'der', type: 'pkcs8' });
const spki = (key: KeyObject) => createPublicKey(key).export({ format: 'der', type: 'spki' });

/** What an importing client does, per AWS's "encrypt key material" steps. */
function wrap(algorithm: AlgorithmSpec, wrappingSpki: Uint8Array, material: Buffer): Buffer {
  const key = createPublicKey({ key: Buffer.from(wrappingSpki), format: 'der', type: 'spki' });
  const oaep = (data: Buffer, hash: string) => publicEncrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: hash }, data);
  switch (algorithm) {
    case 'RSAES_OAEP_SHA_256':
      return oaep(material, 'sha256');
    case 'RSAES_OAEP_SHA_1':
      return oaep(material, 'sha1');
    case 'RSA_AES_KEY_WRAP_SHA_256': {
      const aesKey = randomBytes(32);
      const kwp = createCipheriv('id-aes256-wrap-pad', aesKey, Buffer.from('a65959a6', 'hex'));
      return Buffer.concat([oaep(aesKey, 'sha256'), kwp.update(material), kwp.final()]);
    }
    default:
      throw new Error(`test does not wrap with ${algorithm}`);
  }
}

async function externalKey(KeySpec: KeySpec) {
  const out = await t.kms.send(new CreateKeyCommand({ KeySpec, KeyUsage: 'SIGN_VERIFY', Origin: 'EXTERNAL' }));
  return out.KeyMetadata!;
}

async function params(KeyId: string, WrappingAlgorithm: AlgorithmSpec = 'RSAES_OAEP_SHA_256') {
  return t.kms.send(new GetParametersForImportCommand({ KeyId, WrappingAlgorithm, WrappingKeySpec: 'RSA_2048' }));
}

describe('import of asymmetric key material', () => {
  it.each([
    ['ECC_SECG_P256K1', 'RSAES_OAEP_SHA_256', () => generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).privateKey],
    ['ECC_NIST_P256', 'RSA_AES_KEY_WRAP_SHA_256', () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey],
    ['ECC_NIST_EDWARDS25519', 'RSAES_OAEP_SHA_1', () => generateKeyPairSync('ed25519').privateKey],
  ] as const)('imports a %s key wrapped with %s and then serves its public key', async (spec, algorithm, generate) => {
    const meta = await externalKey(spec);
    expect(meta).toMatchObject({ KeyState: 'PendingImport', Enabled: false, Origin: 'EXTERNAL' });
    await expect(t.kms.send(new GetPublicKeyCommand({ KeyId: meta.KeyId }))).rejects.toBeInstanceOf(KMSInvalidStateException);

    const p = await params(meta.KeyId!, algorithm);
    expect(p.KeyId).toBe(meta.Arn);
    expect(createPublicKey({ key: Buffer.from(p.PublicKey!), format: 'der', type: 'spki' }).asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(Math.round((p.ParametersValidTo!.getTime() - clock) / 3_600_000)).toBe(24);

    const secret = generate();
    const out = await t.kms.send(
      new ImportKeyMaterialCommand({
        KeyId: meta.KeyId,
        ImportToken: p.ImportToken,
        EncryptedKeyMaterial: wrap(algorithm, p.PublicKey!, pkcs8(secret)),
        ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
      }),
    );
    expect(out.KeyId).toBe(meta.Arn);
    const pk = await t.kms.send(new GetPublicKeyCommand({ KeyId: meta.KeyId }));
    expect(Buffer.from(pk.PublicKey!).equals(spki(secret))).toBe(true);
    const described = await t.kms.send(new DescribeKeyCommand({ KeyId: meta.KeyId }));
    expect(described.KeyMetadata).toMatchObject({ KeyState: 'Enabled', Enabled: true, ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' });
  });

  it('re-imports the same material but refuses different material with IncorrectKeyMaterialException', async () => {
    const meta = await externalKey('ECC_SECG_P256K1');
    const secret = generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).privateKey;
    const importWith = async (material: Buffer) => {
      const p = await params(meta.KeyId!);
      return t.kms.send(
        new ImportKeyMaterialCommand({
          KeyId: meta.KeyId,
          ImportToken: p.ImportToken,
          EncryptedKeyMaterial: wrap('RSAES_OAEP_SHA_256', p.PublicKey!, material),
          ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
        }),
      );
    };
    await importWith(pkcs8(secret));
    await expect(importWith(pkcs8(secret))).resolves.toMatchObject({ KeyId: meta.Arn });
    const other = generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).privateKey;
    await expect(importWith(pkcs8(other))).rejects.toBeInstanceOf(IncorrectKeyMaterialException);
  });

  it('refuses material of the wrong curve, or not PKCS#8 at all, with IncorrectKeyMaterialException', async () => {
    const meta = await externalKey('ECC_SECG_P256K1');
    for (const material of [pkcs8(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey), randomBytes(100)]) {
      const p = await params(meta.KeyId!);
      await expect(
        t.kms.send(
          new ImportKeyMaterialCommand({
            KeyId: meta.KeyId,
            ImportToken: p.ImportToken,
            EncryptedKeyMaterial: wrap('RSAES_OAEP_SHA_256', p.PublicKey!, material),
            ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
          }),
        ),
      ).rejects.toBeInstanceOf(IncorrectKeyMaterialException);
    }
    expect((await t.kms.send(new DescribeKeyCommand({ KeyId: meta.KeyId }))).KeyMetadata!.KeyState).toBe('PendingImport');
  });

  it('refuses a token of another key, a made-up token, an expired token and undecryptable material', async () => {
    const meta = await externalKey('ECC_NIST_P256');
    const other = await externalKey('ECC_NIST_P256');
    const material = pkcs8(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey);
    const p = await params(meta.KeyId!);
    const po = await params(other.KeyId!);
    const send = (ImportToken: Uint8Array, EncryptedKeyMaterial: Uint8Array) =>
      t.kms.send(
        new ImportKeyMaterialCommand({
          KeyId: meta.KeyId,
          ImportToken,
          EncryptedKeyMaterial,
          ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
        }),
      );
    await expect(send(po.ImportToken!, wrap('RSAES_OAEP_SHA_256', po.PublicKey!, material))).rejects.toBeInstanceOf(
      InvalidImportTokenException,
    );
    await expect(send(randomBytes(64), wrap('RSAES_OAEP_SHA_256', p.PublicKey!, material))).rejects.toBeInstanceOf(
      InvalidImportTokenException,
    );
    // wrapped for the other key's wrapping key: cannot be decrypted with this token's key
    await expect(send(p.ImportToken!, wrap('RSAES_OAEP_SHA_256', po.PublicKey!, material))).rejects.toBeInstanceOf(
      InvalidCiphertextException,
    );
    // wrapped with SHA-1 OAEP while the token asked for SHA-256
    await expect(send(p.ImportToken!, wrap('RSAES_OAEP_SHA_1', p.PublicKey!, material))).rejects.toBeInstanceOf(InvalidCiphertextException);
    clock += 24 * 3_600_000 + 1000;
    try {
      await expect(send(p.ImportToken!, wrap('RSAES_OAEP_SHA_256', p.PublicKey!, material))).rejects.toBeInstanceOf(
        ExpiredImportTokenException,
      );
    } finally {
      clock = Date.now();
    }
  });

  it('requires ValidTo unless the material does not expire, and refuses import into AWS_KMS keys', async () => {
    const meta = await externalKey('ECC_NIST_P256');
    const p = await params(meta.KeyId!);
    const material = wrap('RSAES_OAEP_SHA_256', p.PublicKey!, pkcs8(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey));
    await expect(
      t.kms.send(new ImportKeyMaterialCommand({ KeyId: meta.KeyId, ImportToken: p.ImportToken, EncryptedKeyMaterial: material })),
    ).rejects.toMatchObject({ name: 'ValidationException' });
    const native = (await t.kms.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' }))).KeyMetadata!;
    await expect(params(native.KeyId!)).rejects.toBeInstanceOf(UnsupportedOperationException);
    await expect(
      t.kms.send(
        new SignCommand({ KeyId: meta.KeyId, Message: Buffer.alloc(32), MessageType: 'DIGEST', SigningAlgorithm: 'ECDSA_SHA_256' }),
      ),
    ).rejects.toBeInstanceOf(KMSInvalidStateException);
  });
});

describe("Node's id-aes*-wrap-pad cipher", () => {
  it('is RFC 5649 key wrap with padding (RFC 5649 section 6 test vector, 20-byte key)', () => {
    const kek = Buffer.from('5840df6e29b02af1ab493b705bf16ea1ae8338f4dcc176a8', 'hex');
    const c = createCipheriv('id-aes192-wrap-pad', kek, Buffer.from('a65959a6', 'hex'));
    const wrapped = Buffer.concat([c.update(Buffer.from('c37b7e6492584340bed12207808941155068f738', 'hex')), c.final()]);
    expect(wrapped.toString('hex')).toBe('138bdeaa9b8fa7fc61f97742e72248ee5ae6ae5360d1ae6a5f54f373fa543b6a');
  });
});
