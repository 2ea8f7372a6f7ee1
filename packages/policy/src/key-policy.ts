import type { KeyLimits, KeyPolicyConfig } from '@signatory-ts/config';
import { DEFAULT_ALLOWED_REQUESTS, publicKeyHash, REQUEST_KINDS, SignatoryError } from '@signatory-ts/core';

/**
 * The part of a `tezos.<pkh>` entry policy reads, as packages/config normalises it: aliases
 * rewritten, legacy `allowed_operations`/`allowed_kinds` already turned into these lists,
 * `allow.generic: null` already an empty operation list.
 */
export type KeyPolicyInput = Pick<
  KeyPolicyConfig,
  'allowedRequests' | 'allowedOperations' | 'allowedChains' | 'authorizedKeys' | 'jwtUsers' | 'limits'
>;

/** A key's policy, ready for evaluate: sets, client keys hashed once. */
export interface KeyPolicy {
  readonly requests: ReadonlySet<string>;
  readonly operations: ReadonlySet<string>;
  readonly chains?: ReadonlySet<string>;
  /** Client key hashes (tz…), from authorizedKeys. */
  readonly clients?: ReadonlySet<string>;
  readonly jwtUsers?: ReadonlySet<string>;
  readonly limits?: KeyLimits;
}

/**
 * Builds a key's policy from its config entry. `null` (the pkh listed with no value) is Go
 * Signatory's default: block, preattestation and attestation, nothing else (no
 * attestation_with_dal, no generic, no pack). A mapping is the whole policy: one that allows
 * nothing (no `allow`, no legacy keys) refuses every request.
 */
export function buildPolicy(entry: KeyPolicyInput | null): KeyPolicy {
  if (entry === null) return { requests: new Set(DEFAULT_ALLOWED_REQUESTS), operations: new Set() };
  for (const k of entry.allowedRequests) {
    if (!(REQUEST_KINDS as readonly string[]).includes(k)) {
      throw new SignatoryError('config_invalid', `invalid request kind \`${k}\` in policy (known: ${REQUEST_KINDS.join(', ')})`);
    }
  }
  const out: {
    requests: Set<string>;
    operations: Set<string>;
    chains?: Set<string>;
    clients?: Set<string>;
    jwtUsers?: Set<string>;
    limits?: KeyLimits;
  } = { requests: new Set(entry.allowedRequests), operations: new Set(entry.allowedOperations) };
  if (entry.allowedChains !== undefined) out.chains = new Set(entry.allowedChains);
  if (entry.jwtUsers !== undefined) out.jwtUsers = new Set(entry.jwtUsers);
  if (entry.limits !== undefined) out.limits = entry.limits;
  if (entry.authorizedKeys !== undefined) {
    out.clients = new Set(
      entry.authorizedKeys.map((pk) => {
        try {
          return publicKeyHash(pk);
        } catch (e) {
          throw new SignatoryError('config_invalid', `authorized_keys: ${(e as Error).message}`, { cause: e });
        }
      }),
    );
  }
  return out;
}
