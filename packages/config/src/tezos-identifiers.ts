import { b58Decode, b58Encode, blake2b160, type PrefixName } from '@signatory-ts/core';

/** Public key prefix → the pkh prefix of its hash. */
const KEY_TO_PKH = { edpk: 'tz1', sppk: 'tz2', p2pk: 'tz3', BLpk: 'tz4' } as const;
export const PUBLIC_KEY_PREFIXES = Object.keys(KEY_TO_PKH) as (keyof typeof KEY_TO_PKH)[];
export const PKH_PREFIXES = ['tz1', 'tz2', 'tz3', 'tz4'] as const;

/** Undefined when `text` is a tz1-tz4 address, else what is wrong with it (with the fix if one is likely). */
export function pkhProblem(text: string): string | undefined {
  if (decodes(text, PKH_PREFIXES)) return undefined;
  const pk = tryDecode(text, PUBLIC_KEY_PREFIXES);
  if (pk !== undefined) {
    const pkh = b58Encode(KEY_TO_PKH[pk.prefix], blake2b160(pk.payload));
    return `${JSON.stringify(text)} is a public key, not a public key hash (write its hash ${pkh})`;
  }
  return `${JSON.stringify(text)} is not a public key hash (expected tz1, tz2, tz3 or tz4 with a valid checksum)`;
}

/** Undefined when `text` is an edpk/sppk/p2pk/BLpk public key, else what is wrong with it. */
export function publicKeyProblem(text: string): string | undefined {
  if (decodes(text, PUBLIC_KEY_PREFIXES)) return undefined;
  if (decodes(text, PKH_PREFIXES)) {
    return `${JSON.stringify(text)} is a public key hash; authorized_keys takes public keys (edpk, sppk, p2pk or BLpk)`;
  }
  return `${JSON.stringify(text)} is not a public key (expected edpk, sppk, p2pk or BLpk with a valid checksum)`;
}

/** Undefined when `text` is a chain id (Net…), else what is wrong with it. */
export function chainIdProblem(text: string): string | undefined {
  return decodes(text, ['Net'])
    ? undefined
    : `${JSON.stringify(text)} is not a chain id (expected Net… such as NetXdQprcVkpaWU, mainnet)`;
}

function tryDecode<P extends PrefixName>(text: string, prefixes: readonly P[]) {
  try {
    return b58Decode(text, prefixes);
  } catch {
    return undefined;
  }
}

const decodes = (text: string, prefixes: readonly PrefixName[]) => tryDecode(text, prefixes) !== undefined;
