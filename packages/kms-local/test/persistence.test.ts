import { constants, createPublicKey, generateKeyPairSync, publicEncrypt, verify } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  CreateAliasCommand,
  CreateKeyCommand,
  DescribeKeyCommand,
  GetParametersForImportCommand,
  GetPublicKeyCommand,
  ImportKeyMaterialCommand,
  ListAliasesCommand,
  ListKeysCommand,
  SignCommand,
} from '@aws-sdk/client-kms';
import { removeDir, start, tempDir } from './harness';

describe('persistence', () => {
  const dir = tempDir();
  afterAll(() => removeDir(dir));

  it('keeps keys, aliases, key states and imported material across a restart', async () => {
    const first = await start({ dir });
    const ed = (await first.kms.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_EDWARDS25519', KeyUsage: 'SIGN_VERIFY' }))).KeyMetadata!;
    const disabled = (await first.kms.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' }))).KeyMetadata!;
    await first.server.disableKey(disabled.KeyId!);
    await first.kms.send(new CreateAliasCommand({ AliasName: 'alias/tezos/baker', TargetKeyId: ed.KeyId }));
    const external = (
      await first.kms.send(new CreateKeyCommand({ KeySpec: 'ECC_SECG_P256K1', KeyUsage: 'SIGN_VERIFY', Origin: 'EXTERNAL' }))
    ).KeyMetadata!;
    const p = await first.kms.send(
      new GetParametersForImportCommand({ KeyId: external.KeyId, WrappingAlgorithm: 'RSAES_OAEP_SHA_256', WrappingKeySpec: 'RSA_2048' }),
    );
    const secret = generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).privateKey;
    const wrapped = publicEncrypt(
      {
        key: createPublicKey({ key: Buffer.from(p.PublicKey!), format: 'der', type: 'spki' }),
        padding: constants.RSA_PKCS1_OAEP_PADDING,
        oaepHash: 'sha256',
      },
      secret.export({ format: 'der', type: 'pkcs8' }),
    );
    await first.kms.send(
      new ImportKeyMaterialCommand({
        KeyId: external.KeyId,
        ImportToken: p.ImportToken,
        EncryptedKeyMaterial: wrapped,
        ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
      }),
    );
    const edPublic = (await first.kms.send(new GetPublicKeyCommand({ KeyId: ed.KeyId }))).PublicKey!;
    const keysBefore = (await first.kms.send(new ListKeysCommand({}))).Keys;
    await first.stop();

    const second = await start({ dir });
    try {
      expect((await second.kms.send(new ListKeysCommand({}))).Keys).toEqual(keysBefore);
      const aliases = (await second.kms.send(new ListAliasesCommand({ KeyId: ed.KeyId }))).Aliases!;
      expect(aliases.map((a) => a.AliasName)).toEqual(['alias/tezos/baker']);
      const pk = await second.kms.send(new GetPublicKeyCommand({ KeyId: 'alias/tezos/baker' }));
      expect(Buffer.from(pk.PublicKey!).equals(Buffer.from(edPublic))).toBe(true);
      const message = Buffer.from('after restart');
      const sig = await second.kms.send(
        new SignCommand({ KeyId: 'alias/tezos/baker', Message: message, MessageType: 'RAW', SigningAlgorithm: 'ED25519_SHA_512' }),
      );
      expect(
        verify(null, message, createPublicKey({ key: Buffer.from(edPublic), format: 'der', type: 'spki' }), Buffer.from(sig.Signature!)),
      ).toBe(true);
      expect((await second.kms.send(new DescribeKeyCommand({ KeyId: disabled.KeyId }))).KeyMetadata!.KeyState).toBe('Disabled');
      const imported = await second.kms.send(new GetPublicKeyCommand({ KeyId: external.KeyId }));
      expect(Buffer.from(imported.PublicKey!).equals(createPublicKey(secret).export({ format: 'der', type: 'spki' }))).toBe(true);
    } finally {
      await second.stop();
    }
  });

  it('writes one 0600 JSON file per key plus aliases.json in a 0700 directory, and leaves no temporary files', () => {
    const keyFiles = readdirSync(join(dir, 'keys'));
    expect(keyFiles.length).toBe(3);
    expect(keyFiles.every((f) => /^[0-9a-f-]{36}\.json$/.test(f))).toBe(true);
    expect(statSync(join(dir, 'keys')).mode & 0o777).toBe(0o700);
    for (const f of [...keyFiles.map((k) => join('keys', k)), 'aliases.json']) {
      expect(statSync(join(dir, f)).mode & 0o777).toBe(0o600);
    }
    const record = JSON.parse(readFileSync(join(dir, 'keys', keyFiles[0]!), 'utf8')) as { privateKeyPkcs8?: string; keyId: string };
    expect(keyFiles[0]).toBe(`${record.keyId}.json`);
    expect(typeof record.privateKeyPkcs8).toBe('string');
  });

  it('seeds a key from a known PKCS#8 private key through the library API', async () => {
    const s = await start();
    try {
      const secret = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
      const key = await s.server.createKey({
        keySpec: 'ECC_NIST_P256',
        keyUsage: 'SIGN_VERIFY',
        privateKeyPkcs8: secret.export({ format: 'der', type: 'pkcs8' }),
      });
      await s.server.createAlias('alias/seeded', key.keyId);
      const pk = await s.kms.send(new GetPublicKeyCommand({ KeyId: 'alias/seeded' }));
      expect(pk.KeyId).toBe(key.arn);
      expect(Buffer.from(pk.PublicKey!).equals(createPublicKey(secret).export({ format: 'der', type: 'spki' }))).toBe(true);
      await expect(
        s.server.createKey({
          keySpec: 'ECC_SECG_P256K1',
          keyUsage: 'SIGN_VERIFY',
          privateKeyPkcs8: secret.export({ format: 'der', type: 'pkcs8' }),
        }),
      ).rejects.toMatchObject({ code: 'IncorrectKeyMaterialException' });
    } finally {
      await s.stop();
    }
  });
});
