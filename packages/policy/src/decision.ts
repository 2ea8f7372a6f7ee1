import type { LegacyRequestKind, RequestKind } from '@signatory-ts/core';

/** What policy needs to know about one sign request. */
export interface SignContext {
  /** The key asked to sign (tz1..tz4). */
  readonly pkh: string;
  /** From the magic byte (and the consensus tag); legacy kinds are always refused. */
  readonly requestKind: RequestKind | LegacyRequestKind;
  /**
   * Generic requests only: the kind of each operation, in order, as the decoder classifies them —
   * pseudo kinds (`stake`, `unstake`, `finalize_unstake`, `set_delegate_parameters`) for staking
   * calls, `ballot:yay|nay|pass` for ballots. Ignored for other request kinds.
   */
  readonly operationKinds?: readonly string[];
  /** Base58 chain id of block and consensus requests; absent for generic and pack. */
  readonly chainId?: string;
  /** The client key hash the request was authenticated with (`?authentication=`), if any. */
  readonly clientPkh?: string;
  /** The JWT user the request was made as, if JWT is on. */
  readonly jwtUser?: string;
}

/** Which check refused a request (metrics label, log field). */
export const POLICY_RULES = ['not_listed', 'jwt_user', 'chain', 'authentication', 'client', 'request_kind', 'operation_kind'] as const;
export type PolicyRule = (typeof POLICY_RULES)[number];

/** A refusal is a value, not an exception; `reason` is Go Signatory's message text. */
export type Decision = { readonly allow: true } | { readonly allow: false; readonly rule: PolicyRule; readonly reason: string };

export interface Policy {
  evaluate(ctx: SignContext): Decision | Promise<Decision>;
}
