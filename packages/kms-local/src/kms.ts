import { createHash, createPrivateKey, createPublicKey, randomUUID, type KeyObject } from 'node:crypto';
import { KmsError } from './errors';
import type { Faults } from './faults';
import { newImportParameters, unwrapKeyMaterial } from './importer';
import { generateMaterial, isKeySpec, keySpecInfo, privateKeyOfSpec, type KeySpec, type KeyUsage } from './keySpecs';
import type { AliasRecord, KeyRecord, KeyStore } from './keyStore';
import { signMessage, verifyMessage } from './signing';

type Input = Record<string, unknown>;
type Output = Record<string, unknown> | undefined;

export interface Caller {
  region: string;
}

/** Predefined AWS aliases real ListAliases returns without a TargetKeyId; clients must cope with the missing field. */
const AWS_MANAGED_ALIASES = ['alias/aws/dynamodb', 'alias/aws/ebs', 'alias/aws/s3'];

const ALIAS_NAME = /^alias\/[a-zA-Z0-9/_-]+$/;
const KEY_ARN = /^arn:aws:kms:([a-z0-9-]+):(\d{12}):key\/(.+)$/;
const ALIAS_ARN = /^arn:aws:kms:([a-z0-9-]+):(\d{12}):(alias\/.+)$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

const seconds = (ms: number) => ms / 1000;

function str(input: Input, name: string, opts: { required: true; max?: number }): string;
function str(input: Input, name: string, opts?: { required?: boolean; max?: number }): string | undefined;
function str(input: Input, name: string, opts: { required?: boolean; max?: number } = {}): string | undefined {
  const v = input[name];
  if (v === undefined || v === null) {
    if (opts.required) {
      throw new KmsError(
        'ValidationException',
        `1 validation error detected: Value null at '${name}' failed to satisfy constraint: Member must not be null`,
      );
    }
    return undefined;
  }
  if (typeof v !== 'string') throw new KmsError('SerializationException', `${name} must be a string`);
  if (opts.required && v.length === 0) {
    throw new KmsError(
      'ValidationException',
      `1 validation error detected: Value '' at '${name}' failed to satisfy constraint: Member must have length greater than or equal to 1`,
    );
  }
  if (opts.max !== undefined && v.length > opts.max) {
    throw new KmsError(
      'ValidationException',
      `1 validation error detected: Value at '${name}' failed to satisfy constraint: Member must have length less than or equal to ${opts.max}`,
    );
  }
  return v;
}

function blob(input: Input, name: string, max: number): Buffer {
  const text = str(input, name, { required: true });
  if (!BASE64.test(text) || text.length % 4 !== 0) throw new KmsError('SerializationException', `${name} is not valid base64`);
  const bytes = Buffer.from(text, 'base64');
  if (bytes.length < 1 || bytes.length > max) {
    throw new KmsError(
      'ValidationException',
      `1 validation error detected: Value at '${name}' failed to satisfy constraint: Member must have length between 1 and ${max} bytes`,
    );
  }
  return bytes;
}

function int(input: Input, name: string, min: number, max: number): number | undefined {
  const v = input[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new KmsError('SerializationException', `${name} must be an integer`);
  if (v < min || v > max) {
    throw new KmsError(
      'ValidationException',
      `1 validation error detected: Value '${v}' at '${name}' failed to satisfy constraint: Member must have value between ${min} and ${max}`,
    );
  }
  return v;
}

function encodeMarker(kind: string, last: string): string {
  return Buffer.from(`${kind}:${last}`).toString('base64url');
}

function decodeMarker(kind: string, marker: string | undefined): string | undefined {
  if (marker === undefined) return undefined;
  const text = Buffer.from(marker, 'base64url').toString('utf8');
  if (!text.startsWith(`${kind}:`) || encodeMarker(kind, text.slice(kind.length + 1)) !== marker) {
    throw new KmsError('InvalidMarkerException', 'The pagination marker is not valid; pass the NextMarker of the previous response');
  }
  return text.slice(kind.length + 1);
}

function page<T>(items: T[], key: (t: T) => string, kind: string, input: Input, maxLimit: number, defaultLimit: number) {
  const limit = int(input, 'Limit', 1, maxLimit) ?? defaultLimit;
  const after = decodeMarker(kind, str(input, 'Marker', { max: 1024 }));
  const rest = after === undefined ? items : items.filter((t) => key(t) > after);
  const shown = rest.slice(0, limit);
  const truncated = rest.length > limit;
  return {
    items: shown,
    Truncated: truncated,
    ...(truncated ? { NextMarker: encodeMarker(kind, key(shown[shown.length - 1]!)) } : {}),
  };
}

export interface KmsConfig {
  store: KeyStore;
  faults: Faults;
  accountId: string;
  defaultRegion: string;
  awsManagedAliases: boolean;
  now: () => number;
}

export interface NewKey {
  keySpec: KeySpec;
  /** default: the spec's only usage (the wire CreateKey defaults to ENCRYPT_DECRYPT, like AWS) */
  keyUsage?: KeyUsage;
  origin?: 'AWS_KMS' | 'EXTERNAL';
  description?: string;
  region?: string;
  /** seed the key with this private key (PKCS#8 DER) instead of generating one */
  privateKeyPkcs8?: Buffer;
  tags?: { TagKey: string; TagValue: string }[];
}

/** The KMS operations over a key store. Each method takes the request JSON and returns the response JSON. */
export class Kms {
  constructor(private readonly cfg: KmsConfig) {}

  readonly operations: Record<string, (input: Input, caller: Caller) => Promise<Output>> = {
    CreateKey: (i, c) => this.createKeyOp(i, c),
    DescribeKey: async (i, c) => ({ KeyMetadata: this.metadata(this.resolve(i, c)) }),
    ListKeys: async (i, c) => this.listKeys(i, c),
    ListAliases: async (i, c) => this.listAliases(i, c),
    CreateAlias: (i, c) => this.createAlias(i, c),
    GetPublicKey: async (i, c) => this.getPublicKey(i, c),
    Sign: async (i, c) => this.sign(i, c),
    Verify: async (i, c) => this.verify(i, c),
    GetParametersForImport: (i, c) => this.getParametersForImport(i, c),
    ImportKeyMaterial: (i, c) => this.importKeyMaterial(i, c),
    ScheduleKeyDeletion: (i, c) => this.scheduleKeyDeletion(i, c),
    CancelKeyDeletion: (i, c) => this.cancelKeyDeletion(i, c),
    TagResource: (i, c) => this.tagResource(i, c),
    ListResourceTags: async (i, c) => this.listResourceTags(i, c),
    DisableKey: (i, c) => this.setEnabled(this.resolve(i, c, { aliases: false }), false),
    EnableKey: (i, c) => this.setEnabled(this.resolve(i, c, { aliases: false }), true),
  };

  arn(key: KeyRecord): string {
    return `arn:aws:kms:${key.region}:${key.accountId}:key/${key.keyId}`;
  }

  private aliasArn(region: string, aliasName: string): string {
    return `arn:aws:kms:${region}:${this.cfg.accountId}:${aliasName}`;
  }

  // ---- key creation (also the programmatic seeding path) ----

  async createKey(req: NewKey): Promise<KeyRecord> {
    const info = keySpecInfo(req.keySpec);
    const usage = req.keyUsage ?? info.usage;
    if (usage !== info.usage) {
      throw new KmsError('ValidationException', `KeyUsage ${usage} is not compatible with KeySpec ${req.keySpec}; use ${info.usage}`);
    }
    const origin = req.origin ?? 'AWS_KMS';
    if (origin === 'EXTERNAL' && !info.importable) {
      throw new KmsError('UnsupportedOperationException', `kms-local supports Origin EXTERNAL only for ECC key specs, not ${req.keySpec}`);
    }
    let pkcs8: Buffer | undefined;
    let secret: Buffer | undefined;
    if (req.privateKeyPkcs8) {
      const key = privateKeyOfSpec(req.privateKeyPkcs8, req.keySpec);
      if (!key) throw new KmsError('IncorrectKeyMaterialException', `The given private key is not a ${req.keySpec} PKCS#8 key`);
      pkcs8 = key.export({ format: 'der', type: 'pkcs8' });
    } else if (origin === 'AWS_KMS') {
      ({ pkcs8, secret } = generateMaterial(req.keySpec));
    }
    const record: KeyRecord = {
      version: 1,
      keyId: randomUUID(),
      region: req.region ?? this.cfg.defaultRegion,
      accountId: this.cfg.accountId,
      keySpec: req.keySpec,
      keyUsage: usage,
      origin,
      description: req.description ?? '',
      creationDate: this.cfg.now(),
      keyState: origin === 'EXTERNAL' && !pkcs8 ? 'PendingImport' : 'Enabled',
      ...(pkcs8 ? { privateKeyPkcs8: pkcs8.toString('base64') } : {}),
      ...(secret ? { secret: secret.toString('base64') } : {}),
      ...(origin === 'EXTERNAL' && pkcs8 ? { expirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' } : {}),
      ...(req.tags && req.tags.length > 0 ? { tags: req.tags } : {}),
    };
    await this.cfg.store.putKey(record);
    return record;
  }

  async setEnabled(key: KeyRecord, enabled: boolean): Promise<undefined> {
    if (key.keyState === 'PendingImport' || key.keyState === 'PendingDeletion') {
      throw new KmsError(
        'KMSInvalidStateException',
        `${this.arn(key)} is ${key.keyState === 'PendingImport' ? 'pending import' : 'pending deletion'}.`,
      );
    }
    await this.cfg.store.putKey({ ...key, keyState: enabled ? 'Enabled' : 'Disabled' });
    return undefined;
  }

  // ---- identifiers ----

  /** Finds the key a KeyId names, in any of its four forms (aliases only where the operation accepts them). */
  resolve(input: Input, caller: Caller, opts: { field?: string; aliases?: boolean } = {}): KeyRecord {
    const field = opts.field ?? 'KeyId';
    const id = str(input, field, { required: true, max: 2048 });
    return this.resolveId(id, caller, opts.aliases ?? true);
  }

  resolveId(id: string, caller: Caller, aliases: boolean): KeyRecord {
    const notFound = (what: string) => new KmsError('NotFoundException', `${what} does not exist`);
    let keyId: string;
    let region = caller.region;
    const keyArn = KEY_ARN.exec(id);
    const aliasArn = ALIAS_ARN.exec(id);
    if (keyArn) {
      if (keyArn[2] !== this.cfg.accountId) throw notFound(`Key '${id}'`);
      region = keyArn[1]!;
      keyId = keyArn[3]!;
    } else if (aliasArn || id.startsWith('alias/')) {
      if (!aliases) {
        throw new KmsError('ValidationException', `This operation takes a key ID or key ARN, not an alias: ${id}`);
      }
      if (aliasArn && aliasArn[2] !== this.cfg.accountId) throw notFound(`Alias ${id}`);
      if (aliasArn) region = aliasArn[1]!;
      const name = aliasArn ? aliasArn[3]! : id;
      const alias = this.cfg.store.listAliases().find((a) => a.aliasName === name && a.region === region);
      if (!alias) throw new KmsError('NotFoundException', `Alias ${this.aliasArn(region, name)} is not found.`);
      keyId = alias.targetKeyId;
    } else if (id.startsWith('arn:')) {
      throw notFound(`Key '${id}'`);
    } else {
      keyId = id;
    }
    const key = this.cfg.store.getKey(keyId);
    if (!key || key.region !== region) {
      throw notFound(`Key 'arn:aws:kms:${region}:${this.cfg.accountId}:key/${keyId}'`);
    }
    return key;
  }

  /** Sign, Verify and GetPublicKey need a key that is Enabled. */
  private requireUsable(key: KeyRecord): void {
    switch (key.keyState) {
      case 'Enabled':
        return;
      case 'Disabled':
        throw new KmsError('DisabledException', `${this.arn(key)} is disabled.`);
      case 'PendingImport':
        throw new KmsError('KMSInvalidStateException', `${this.arn(key)} is pending import.`);
      case 'PendingDeletion':
        throw new KmsError('KMSInvalidStateException', `${this.arn(key)} is pending deletion.`);
    }
  }

  private privateKey(key: KeyRecord): KeyObject {
    return createPrivateKey({ key: Buffer.from(key.privateKeyPkcs8!, 'base64'), format: 'der', type: 'pkcs8' });
  }

  // ---- operations ----

  metadata(key: KeyRecord): Record<string, unknown> {
    const info = keySpecInfo(key.keySpec);
    return {
      AWSAccountId: key.accountId,
      KeyId: key.keyId,
      Arn: this.arn(key),
      CreationDate: seconds(key.creationDate),
      Enabled: key.keyState === 'Enabled',
      Description: key.description,
      KeyUsage: key.keyUsage,
      KeyState: key.keyState,
      Origin: key.origin,
      KeyManager: 'CUSTOMER',
      CustomerMasterKeySpec: key.keySpec,
      KeySpec: key.keySpec,
      ...(info.signingAlgorithms ? { SigningAlgorithms: [...info.signingAlgorithms] } : {}),
      ...(info.encryptionAlgorithms ? { EncryptionAlgorithms: [...info.encryptionAlgorithms] } : {}),
      ...(info.macAlgorithms ? { MacAlgorithms: [...info.macAlgorithms] } : {}),
      MultiRegion: false,
      ...(key.deletionDate !== undefined
        ? { DeletionDate: seconds(key.deletionDate), PendingDeletionWindowInDays: key.pendingWindowInDays }
        : {}),
      ...(key.origin === 'EXTERNAL' && key.expirationModel ? { ExpirationModel: key.expirationModel } : {}),
      ...(key.keyMaterialId ? { CurrentKeyMaterialId: key.keyMaterialId } : {}),
    };
  }

  private async createKeyOp(input: Input, caller: Caller): Promise<Output> {
    const spec = str(input, 'KeySpec') ?? str(input, 'CustomerMasterKeySpec') ?? 'SYMMETRIC_DEFAULT';
    if (!isKeySpec(spec)) {
      throw new KmsError(
        'ValidationException',
        `1 validation error detected: Value '${spec}' at 'keySpec' failed to satisfy constraint: kms-local supports ECC_NIST_P256, ECC_SECG_P256K1, ECC_NIST_EDWARDS25519, RSA_2048, SYMMETRIC_DEFAULT, HMAC_256`,
      );
    }
    const usage = str(input, 'KeyUsage');
    if (usage !== undefined && !['SIGN_VERIFY', 'ENCRYPT_DECRYPT', 'GENERATE_VERIFY_MAC', 'KEY_AGREEMENT'].includes(usage)) {
      throw new KmsError(
        'ValidationException',
        `1 validation error detected: Value '${usage}' at 'keyUsage' failed to satisfy constraint: Member must satisfy enum value set`,
      );
    }
    const origin = str(input, 'Origin') ?? 'AWS_KMS';
    if (origin !== 'AWS_KMS' && origin !== 'EXTERNAL') {
      throw new KmsError('UnsupportedOperationException', `kms-local does not support Origin ${origin}`);
    }
    if (input.MultiRegion === true) throw new KmsError('UnsupportedOperationException', 'kms-local does not support multi-Region keys');
    const tags = this.tagsOf(input);
    const key = await this.createKey({
      keySpec: spec,
      // like AWS, an omitted KeyUsage means ENCRYPT_DECRYPT, so asymmetric keys must name SIGN_VERIFY
      keyUsage: (usage ?? 'ENCRYPT_DECRYPT') as KeyUsage,
      origin,
      description: str(input, 'Description', { max: 8192 }),
      region: caller.region,
      tags,
    });
    return { KeyMetadata: this.metadata(key) };
  }

  private listKeys(input: Input, caller: Caller): Output {
    const keys = this.cfg.store.listKeys().filter((k) => k.region === caller.region);
    const p = page(keys, (k) => k.keyId, 'keys', input, 1000, 100);
    return {
      Keys: p.items.map((k) => ({ KeyId: k.keyId, KeyArn: this.arn(k) })),
      Truncated: p.Truncated,
      ...(p.NextMarker ? { NextMarker: p.NextMarker } : {}),
    };
  }

  private listAliases(input: Input, caller: Caller): Output {
    const filter = input.KeyId === undefined ? undefined : this.resolve(input, caller, { aliases: false });
    const managed: AliasRecord[] =
      this.cfg.awsManagedAliases && !filter
        ? AWS_MANAGED_ALIASES.map((aliasName) => ({
            aliasName,
            region: caller.region,
            accountId: this.cfg.accountId,
            targetKeyId: '',
            creationDate: 0,
            lastUpdatedDate: 0,
          }))
        : [];
    const aliases = [...managed, ...this.cfg.store.listAliases()]
      .filter((a) => a.region === caller.region && (!filter || a.targetKeyId === filter.keyId))
      .sort((a, b) => (a.aliasName < b.aliasName ? -1 : 1));
    const p = page(aliases, (a) => a.aliasName, 'aliases', input, 100, 50);
    return {
      Aliases: p.items.map((a) =>
        a.targetKeyId === ''
          ? { AliasName: a.aliasName, AliasArn: this.aliasArn(a.region, a.aliasName) }
          : {
              AliasName: a.aliasName,
              AliasArn: this.aliasArn(a.region, a.aliasName),
              TargetKeyId: a.targetKeyId,
              CreationDate: seconds(a.creationDate),
              LastUpdatedDate: seconds(a.lastUpdatedDate),
            },
      ),
      Truncated: p.Truncated,
      ...(p.NextMarker ? { NextMarker: p.NextMarker } : {}),
    };
  }

  private async createAlias(input: Input, caller: Caller): Promise<Output> {
    const name = str(input, 'AliasName', { required: true, max: 256 });
    if (!ALIAS_NAME.test(name)) {
      throw new KmsError(
        'InvalidAliasNameException',
        `Alias name ${name} must start with 'alias/' and use only letters, digits, '/', '_' and '-'`,
      );
    }
    if (name.startsWith('alias/aws/') || AWS_MANAGED_ALIASES.includes(name)) {
      throw new KmsError('InvalidAliasNameException', `Alias names beginning with 'alias/aws/' are reserved for AWS: ${name}`);
    }
    const key = this.resolve(input, caller, { field: 'TargetKeyId', aliases: false });
    if (key.keyState === 'PendingDeletion') {
      throw new KmsError('KMSInvalidStateException', `${this.arn(key)} is pending deletion.`);
    }
    if (this.cfg.store.listAliases().some((a) => a.aliasName === name && a.region === caller.region)) {
      throw new KmsError('AlreadyExistsException', `An alias with the name ${this.aliasArn(caller.region, name)} already exists`);
    }
    const now = this.cfg.now();
    await this.cfg.store.putAlias({
      aliasName: name,
      region: caller.region,
      accountId: this.cfg.accountId,
      targetKeyId: key.keyId,
      creationDate: now,
      lastUpdatedDate: now,
    });
    return undefined;
  }

  private getPublicKey(input: Input, caller: Caller): Output {
    const key = this.resolve(input, caller);
    this.requireUsable(key);
    const info = keySpecInfo(key.keySpec);
    if (!key.privateKeyPkcs8) {
      throw new KmsError(
        'UnsupportedOperationException',
        `${this.arn(key)} key usage is ${key.keyUsage}; GetPublicKey is for asymmetric keys only.`,
      );
    }
    return {
      KeyId: this.arn(key),
      PublicKey: createPublicKey(this.privateKey(key)).export({ format: 'der', type: 'spki' }).toString('base64'),
      CustomerMasterKeySpec: key.keySpec,
      KeySpec: key.keySpec,
      KeyUsage: key.keyUsage,
      ...(info.signingAlgorithms ? { SigningAlgorithms: [...info.signingAlgorithms] } : {}),
    };
  }

  private signInput(input: Input, caller: Caller) {
    const key = this.resolve(input, caller);
    this.requireUsable(key);
    if (key.keyUsage !== 'SIGN_VERIFY') {
      throw new KmsError('InvalidKeyUsageException', `${this.arn(key)} key usage is ${key.keyUsage} which is not valid for signing.`);
    }
    const message = blob(input, 'Message', 4096);
    const algorithm = str(input, 'SigningAlgorithm', { required: true });
    const messageType = str(input, 'MessageType') ?? 'RAW';
    return { key, sign: { key: this.privateKey(key), keySpec: key.keySpec, algorithm, messageType, message } };
  }

  private dryRun(input: Input): void {
    if (input.DryRun === true) {
      throw new KmsError('DryRunOperationException', 'The request would have succeeded, but the DryRun option is set.');
    }
  }

  private sign(input: Input, caller: Caller): Output {
    const { key, sign } = this.signInput(input, caller);
    const arn = this.arn(key);
    // wrongSignature: a real signature by this key, over the message with its first byte flipped
    const wrong = this.cfg.faults.fires('wrongSignature', 'Sign', arn);
    const message = wrong ? Buffer.from(sign.message).fill(sign.message[0]! ^ 0xff, 0, 1) : sign.message;
    let signature = signMessage({ ...sign, message }, this.cfg.faults.highS());
    this.dryRun(input);
    if (this.cfg.faults.fires('malformedSignature', 'Sign', arn)) {
      // drop the last byte: the DER length header then promises more than is there
      signature = signature.subarray(0, signature.length - 1);
    }
    return { KeyId: arn, Signature: signature.toString('base64'), SigningAlgorithm: sign.algorithm };
  }

  private verify(input: Input, caller: Caller): Output {
    const { key, sign } = this.signInput(input, caller);
    const signature = blob(input, 'Signature', 6144);
    const valid = verifyMessage(sign, signature);
    this.dryRun(input);
    if (!valid) throw new KmsError('KMSInvalidSignatureException', 'The signature is not valid for this key, message and algorithm.');
    return { KeyId: this.arn(key), SignatureValid: true, SigningAlgorithm: sign.algorithm };
  }

  private requireExternal(key: KeyRecord): void {
    if (key.origin !== 'EXTERNAL') {
      throw new KmsError(
        'UnsupportedOperationException',
        `${this.arn(key)} origin is ${key.origin}; key material can be imported only into keys created with Origin EXTERNAL.`,
      );
    }
    if (key.keyState === 'PendingDeletion') {
      throw new KmsError('KMSInvalidStateException', `${this.arn(key)} is pending deletion.`);
    }
  }

  private async getParametersForImport(input: Input, caller: Caller): Promise<Output> {
    const key = this.resolve(input, caller, { aliases: false });
    this.requireExternal(key);
    const now = this.cfg.now();
    const { params, publicKeySpki } = await newImportParameters(input.WrappingAlgorithm, input.WrappingKeySpec, now);
    const kept = (key.importParameters ?? []).filter((p) => p.validTo > now).slice(-9);
    // re-read: another request may have changed the key while the RSA key was being generated
    const current = this.cfg.store.getKey(key.keyId) ?? key;
    await this.cfg.store.putKey({ ...current, importParameters: [...kept, params] });
    return {
      KeyId: this.arn(key),
      ImportToken: params.token,
      PublicKey: publicKeySpki.toString('base64'),
      ParametersValidTo: seconds(params.validTo),
    };
  }

  private async importKeyMaterial(input: Input, caller: Caller): Promise<Output> {
    const key = this.resolve(input, caller, { aliases: false });
    this.requireExternal(key);
    const token = blob(input, 'ImportToken', 6144).toString('base64');
    const encrypted = blob(input, 'EncryptedKeyMaterial', 6144);
    const expirationModel = str(input, 'ExpirationModel') ?? 'KEY_MATERIAL_EXPIRES';
    if (expirationModel !== 'KEY_MATERIAL_EXPIRES' && expirationModel !== 'KEY_MATERIAL_DOES_NOT_EXPIRE') {
      throw new KmsError('ValidationException', `ExpirationModel must be KEY_MATERIAL_EXPIRES or KEY_MATERIAL_DOES_NOT_EXPIRE`);
    }
    if (expirationModel === 'KEY_MATERIAL_EXPIRES' && input.ValidTo === undefined) {
      throw new KmsError(
        'ValidationException',
        'ValidTo is required when ExpirationModel is KEY_MATERIAL_EXPIRES (the default); pass KEY_MATERIAL_DOES_NOT_EXPIRE for material that never expires',
      );
    }
    if (expirationModel === 'KEY_MATERIAL_DOES_NOT_EXPIRE' && input.ValidTo !== undefined) {
      throw new KmsError('ValidationException', 'ValidTo must be omitted when ExpirationModel is KEY_MATERIAL_DOES_NOT_EXPIRE');
    }
    const params = key.importParameters?.find((p) => p.token === token);
    if (!params)
      throw new KmsError(
        'InvalidImportTokenException',
        'The import token is invalid or does not belong to this key; call GetParametersForImport for this key again.',
      );
    if (params.validTo <= this.cfg.now()) {
      throw new KmsError(
        'ExpiredImportTokenException',
        'The import token has expired (tokens are valid for 24 hours); call GetParametersForImport again.',
      );
    }
    const material = unwrapKeyMaterial(params, encrypted);
    const imported = privateKeyOfSpec(material, key.keySpec);
    if (!imported) {
      throw new KmsError('IncorrectKeyMaterialException', `The key material is not a PKCS#8 DER private key for key spec ${key.keySpec}.`);
    }
    const spki = createPublicKey(imported).export({ format: 'der', type: 'spki' });
    if (key.privateKeyPkcs8) {
      const existing = createPublicKey(this.privateKey(key)).export({ format: 'der', type: 'spki' });
      if (!existing.equals(spki)) {
        throw new KmsError(
          'IncorrectKeyMaterialException',
          'The key material differs from the material previously imported into this key; asymmetric key material cannot be changed.',
        );
      }
    }
    const keyMaterialId = createHash('sha256').update(spki).digest('hex');
    await this.cfg.store.putKey({
      ...key,
      privateKeyPkcs8: imported.export({ format: 'der', type: 'pkcs8' }).toString('base64'),
      keyState: key.keyState === 'PendingImport' ? 'Enabled' : key.keyState,
      expirationModel,
      keyMaterialId,
    });
    return { KeyId: this.arn(key), KeyMaterialId: keyMaterialId };
  }

  private tagsOf(input: Input): { TagKey: string; TagValue: string }[] {
    const tags = input.Tags;
    if (tags === undefined) return [];
    const ok = (t: unknown) => {
      const tag = t as Record<string, unknown>;
      return typeof t === 'object' && t !== null && typeof tag.TagKey === 'string' && typeof tag.TagValue === 'string';
    };
    if (!Array.isArray(tags) || !tags.every(ok)) throw new KmsError('SerializationException', 'Tags must be a list of {TagKey, TagValue}');
    for (const tag of tags as { TagKey: string; TagValue: string }[]) {
      if (tag.TagKey.length < 1 || tag.TagKey.length > 128 || tag.TagValue.length > 256) {
        throw new KmsError('ValidationException', 'TagKey must be 1-128 characters and TagValue at most 256');
      }
    }
    return tags as { TagKey: string; TagValue: string }[];
  }

  private async tagResource(input: Input, caller: Caller): Promise<Output> {
    const key = this.resolve(input, caller, { aliases: false });
    const added = this.tagsOf(input);
    const kept = (key.tags ?? []).filter((t) => !added.some((a) => a.TagKey === t.TagKey));
    await this.cfg.store.putKey({ ...key, tags: [...kept, ...added] });
    return undefined;
  }

  private listResourceTags(input: Input, caller: Caller): Output {
    const key = this.resolve(input, caller, { aliases: false });
    const tags = [...(key.tags ?? [])].sort((a, b) => (a.TagKey < b.TagKey ? -1 : 1));
    const p = page(tags, (t) => t.TagKey, 'tags', input, 50, 50);
    return { Tags: p.items, Truncated: p.Truncated, ...(p.NextMarker ? { NextMarker: p.NextMarker } : {}) };
  }

  private async scheduleKeyDeletion(input: Input, caller: Caller): Promise<Output> {
    const key = this.resolve(input, caller, { aliases: false });
    const days = int(input, 'PendingWindowInDays', 7, 30) ?? 30;
    if (key.keyState === 'PendingDeletion') {
      throw new KmsError('KMSInvalidStateException', `${this.arn(key)} is pending deletion.`);
    }
    const deletionDate = this.cfg.now() + days * 24 * 60 * 60 * 1000;
    await this.cfg.store.putKey({ ...key, keyState: 'PendingDeletion', deletionDate, pendingWindowInDays: days });
    return { KeyId: this.arn(key), DeletionDate: seconds(deletionDate), KeyState: 'PendingDeletion', PendingWindowInDays: days };
  }

  private async cancelKeyDeletion(input: Input, caller: Caller): Promise<Output> {
    const key = this.resolve(input, caller, { aliases: false });
    if (key.keyState !== 'PendingDeletion') {
      throw new KmsError('KMSInvalidStateException', `${this.arn(key)} is not pending deletion.`);
    }
    const { deletionDate: _d, pendingWindowInDays: _w, ...rest } = key;
    await this.cfg.store.putKey({ ...rest, keyState: key.privateKeyPkcs8 || key.secret ? 'Disabled' : 'PendingImport' });
    return { KeyId: this.arn(key) };
  }
}
