import { b58Decode, orList, PKH_PREFIXES, prefixesOf, publicKeyHash, type PrefixName } from '@signatory-ts/core';

export const PUBLIC_KEY_PREFIXES = prefixesOf('pk');
export { PKH_PREFIXES };

/** Undefined when `text` is a tz1-tz4 address, else what is wrong with it (with the fix if one is likely). */
export function pkhProblem(text: string): string | undefined {
  if (decodes(text, PKH_PREFIXES)) return undefined;
  if (decodes(text, PUBLIC_KEY_PREFIXES)) {
    return `${JSON.stringify(text)} is a public key, not a public key hash (write its hash ${publicKeyHash(text)})`;
  }
  return `${JSON.stringify(text)} is not a public key hash (expected ${orList(PKH_PREFIXES)} with a valid checksum)`;
}

/** Undefined when `text` is an edpk/sppk/p2pk/BLpk public key, else what is wrong with it. */
export function publicKeyProblem(text: string): string | undefined {
  if (decodes(text, PUBLIC_KEY_PREFIXES)) return undefined;
  if (decodes(text, PKH_PREFIXES)) {
    return `${JSON.stringify(text)} is a public key hash; authorized_keys takes public keys (${orList(PUBLIC_KEY_PREFIXES)})`;
  }
  return `${JSON.stringify(text)} is not a public key (expected ${orList(PUBLIC_KEY_PREFIXES)} with a valid checksum)`;
}

/** Undefined when `text` is a chain id (Net…), else what is wrong with it. */
export function chainIdProblem(text: string): string | undefined {
  return decodes(text, ['Net']) ? undefined : `${JSON.stringify(text)} is not a chain id (expected Net… such as NetXdQprcVkpaWU, mainnet)`;
}

function tryDecode<P extends PrefixName>(text: string, prefixes: readonly P[]) {
  try {
    return b58Decode(text, prefixes);
  } catch {
    return undefined;
  }
}

const decodes = (text: string, prefixes: readonly PrefixName[]) => tryDecode(text, prefixes) !== undefined;
