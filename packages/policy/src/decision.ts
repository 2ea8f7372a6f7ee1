import type { ErrorCode, LegacyRequestKind, RequestKind, SignRequest } from '@signatory-ts/core';
import type { LimitRule } from './limits';

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
  /** Generic requests: the decoded request, which a key's `limits` are checked against. */
  readonly generic?: SignRequest;
  /** Base58 chain id of block and consensus requests; absent for generic and pack. */
  readonly chainId?: string;
  /** The client key hash the request was authenticated with (`?authentication=`), if any. */
  readonly clientPkh?: string;
  /** The JWT user the request was made as, if JWT is on. */
  readonly jwtUser?: string;
  /** The whole request, magic byte included (the policy hook sends it). */
  readonly request?: Uint8Array;
  /** The client's address as the TCP peer saw it (the policy hook sends it). */
  readonly source?: string;
}

/** Which check refused a request (metrics label, log field). */
export const POLICY_RULES = [
  'not_listed',
  'jwt_user',
  'chain',
  'authentication',
  'client',
  'request_kind',
  'operation_kind',
  'limits',
  'policy_hook',
] as const;
export type PolicyRule = (typeof POLICY_RULES)[number];

/** A refusal: which rule, Go Signatory's message text, and what metrics and logs need besides. */
export interface Denial {
  readonly allow: false;
  readonly rule: PolicyRule;
  readonly reason: string;
  /** The refused request kind (rule `request_kind`) or operation kind (rule `operation_kind`). */
  readonly kind?: string;
  /** Rule `limits`: which of the key's limits refused (`max_amount`, `destinations`, …). */
  readonly limit?: LimitRule;
  /**
   * The error the refusal is answered with; absent: `policy_denied` (403). The policy hook
   * answers 401 for a reply signed by an unknown key and 500 when it cannot get an answer, as Go.
   */
  readonly code?: ErrorCode;
}

/** A refusal is a value, not an exception. */
export type Decision = { readonly allow: true } | Denial;

export interface Policy {
  evaluate(ctx: SignContext): Decision | Promise<Decision>;
}

/**
 * Go Signatory's `violation_type` label of `policy_violation_total` for a refusal: the request or
 * operation kind refused, the limit (ours: `max_amount`, `destinations`, …), else the rule. Undefined for chain refusals, which Go does not count.
 */
export function violationType(d: Denial): string | undefined {
  if (d.rule === 'chain') return undefined;
  return d.limit ?? d.kind ?? d.rule;
}

/**
 * Runs policies in order; the first refusal wins and later policies are not asked. The daemon
 * chains the static policy (`tezos:`) and then the policy hook, so the hook only sees requests
 * the config already allows.
 */
export class PolicyChain implements Policy {
  constructor(private readonly policies: readonly Policy[]) {}

  async evaluate(ctx: SignContext): Promise<Decision> {
    for (const p of this.policies) {
      const d = await p.evaluate(ctx);
      if (!d.allow) return d;
    }
    return { allow: true };
  }
}
