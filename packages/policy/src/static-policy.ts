import type { Decision, Policy, SignContext } from './decision';
import { evaluate } from './evaluate';
import { buildPolicy, type KeyPolicy, type KeyPolicyInput } from './key-policy';

/** The policy of every key under `tezos:`, built once at start-up. */
export class StaticPolicy implements Policy {
  private readonly keys: ReadonlyMap<string, KeyPolicy>;

  /** `tezos` is config's map pkh → entry (null: the default policy). */
  constructor(tezos: ReadonlyMap<string, KeyPolicyInput | null>) {
    this.keys = new Map([...tezos].map(([pkh, entry]) => [pkh, buildPolicy(entry)]));
  }

  /** The key's built policy; undefined when the pkh is not listed (inactive). */
  keyPolicy(pkh: string): KeyPolicy | undefined {
    return this.keys.get(pkh);
  }

  evaluate(ctx: SignContext): Decision {
    return evaluate(ctx, this.keys.get(ctx.pkh));
  }
}
