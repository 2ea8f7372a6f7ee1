import { createPrivateKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';

/** How a key spec is signed with; drives key generation, Sign/Verify and import. */
export type KeyFamily = 'ecdsa' | 'ed25519' | 'rsa' | 'symmetric' | 'hmac';
export type KeyUsage = 'SIGN_VERIFY' | 'ENCRYPT_DECRYPT' | 'GENERATE_VERIFY_MAC';

export interface KeySpecInfo {
  family: KeyFamily;
  usage: KeyUsage;
  /** @noble/curves curve (ecdsa) */
  ellipticCurve?: 'p256' | 'secp256k1';
  /** OpenSSL curve name as Node reports it in asymmetricKeyDetails.namedCurve (ecdsa) */
  nodeCurve?: 'prime256v1' | 'secp256k1';
  signingAlgorithms?: readonly string[];
  encryptionAlgorithms?: readonly string[];
  macAlgorithms?: readonly string[];
  /** CreateKey Origin EXTERNAL is accepted (asymmetric import of PKCS#8) */
  importable: boolean;
}

const RSA_SIGNING = [
  'RSASSA_PSS_SHA_256',
  'RSASSA_PSS_SHA_384',
  'RSASSA_PSS_SHA_512',
  'RSASSA_PKCS1_V1_5_SHA_256',
  'RSASSA_PKCS1_V1_5_SHA_384',
  'RSASSA_PKCS1_V1_5_SHA_512',
] as const;

/** The key specs this emulator knows. ECC ones are the Tezos curves; the rest exist so clients can be tested on keys they must skip. */
export const KEY_SPECS = {
  ECC_NIST_P256: {
    family: 'ecdsa',
    usage: 'SIGN_VERIFY',
    ellipticCurve: 'p256',
    nodeCurve: 'prime256v1',
    signingAlgorithms: ['ECDSA_SHA_256'],
    importable: true,
  },
  ECC_SECG_P256K1: {
    family: 'ecdsa',
    usage: 'SIGN_VERIFY',
    ellipticCurve: 'secp256k1',
    nodeCurve: 'secp256k1',
    signingAlgorithms: ['ECDSA_SHA_256'],
    importable: true,
  },
  ECC_NIST_EDWARDS25519: {
    family: 'ed25519',
    usage: 'SIGN_VERIFY',
    signingAlgorithms: ['ED25519_SHA_512', 'ED25519_PH_SHA_512'],
    importable: true,
  },
  RSA_2048: { family: 'rsa', usage: 'SIGN_VERIFY', signingAlgorithms: RSA_SIGNING, importable: false },
  SYMMETRIC_DEFAULT: {
    family: 'symmetric',
    usage: 'ENCRYPT_DECRYPT',
    encryptionAlgorithms: ['SYMMETRIC_DEFAULT'],
    importable: false,
  },
  HMAC_256: { family: 'hmac', usage: 'GENERATE_VERIFY_MAC', macAlgorithms: ['HMAC_SHA_256'], importable: false },
} as const satisfies Record<string, KeySpecInfo>;

export type KeySpec = keyof typeof KEY_SPECS;

export function isKeySpec(value: unknown): value is KeySpec {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(KEY_SPECS, value);
}

export function keySpecInfo(spec: KeySpec): KeySpecInfo {
  return KEY_SPECS[spec];
}

/** Fresh key material: PKCS#8 DER for asymmetric specs, raw secret bytes for symmetric/HMAC ones. */
export function generateMaterial(spec: KeySpec): { pkcs8?: Buffer; secret?: Buffer } {
  const info = keySpecInfo(spec);
  const pkcs8 = (key: KeyObject) => key.export({ format: 'der', type: 'pkcs8' });
  switch (info.family) {
    case 'ecdsa':
      return { pkcs8: pkcs8(generateKeyPairSync('ec', { namedCurve: info.nodeCurve! }).privateKey) };
    case 'ed25519':
      return { pkcs8: pkcs8(generateKeyPairSync('ed25519').privateKey) };
    case 'rsa':
      return { pkcs8: pkcs8(generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey) };
    case 'symmetric':
    case 'hmac':
      return { secret: randomBytes(32) };
  }
}

/**
 * Parses PKCS#8 DER and checks it is a private key of the given spec. Returns undefined when it is not
 * (wrong curve, wrong algorithm, not PKCS#8 at all).
 */
export function privateKeyOfSpec(pkcs8: Buffer, spec: KeySpec): KeyObject | undefined {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
  } catch {
    return undefined;
  }
  const info = keySpecInfo(spec);
  switch (info.family) {
    case 'ecdsa':
      return key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === info.nodeCurve ? key : undefined;
    case 'ed25519':
      return key.asymmetricKeyType === 'ed25519' ? key : undefined;
    case 'rsa':
      return key.asymmetricKeyType === 'rsa' && key.asymmetricKeyDetails?.modulusLength === 2048 ? key : undefined;
    default:
      return undefined;
  }
}
