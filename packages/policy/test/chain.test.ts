import { PolicyChain, StaticPolicy, violationType, type Decision, type Policy, type SignContext } from '../src';

const PKH = 'tz1WGcYos3hL7GXYXjKrMnSFdkT7FyXnFBvf';
const ctx = (c: Partial<SignContext> = {}): SignContext => ({ pkh: PKH, requestKind: 'block', chainId: 'NetXdQprcVkpaWU', ...c });

/** A policy that records what it was asked and answers `d`. */
function recording(d: Decision): Policy & { asked: SignContext[] } {
  const asked: SignContext[] = [];
  return { asked, evaluate: (c) => (asked.push(c), Promise.resolve(d)) };
}

describe('PolicyChain', () => {
  it('asks each policy in order and allows only when all allow', async () => {
    const a = recording({ allow: true });
    const b = recording({ allow: true });
    expect(await new PolicyChain([a, b]).evaluate(ctx())).toEqual({ allow: true });
    expect([a.asked.length, b.asked.length]).toEqual([1, 1]);
  });

  it('stops at the first refusal: a request the static policy refuses never reaches the hook', async () => {
    const hook = recording({ allow: true });
    const chain = new PolicyChain([new StaticPolicy(new Map([[PKH, null]])), hook]);
    expect(await chain.evaluate(ctx({ requestKind: 'generic', chainId: undefined, operationKinds: ['transaction'] }))).toEqual({
      allow: false,
      rule: 'request_kind',
      reason: "request kind `generic' is not allowed",
      kind: 'generic',
    });
    expect(hook.asked).toEqual([]);
    expect(await chain.evaluate(ctx())).toEqual({ allow: true });
    expect(hook.asked).toHaveLength(1);
  });

  it("returns the later policy's refusal as it is (code included)", async () => {
    const refusal: Decision = { allow: false, rule: 'policy_hook', reason: 'public key not found', code: 'unauthenticated' };
    expect(await new PolicyChain([recording({ allow: true }), recording(refusal)]).evaluate(ctx())).toBe(refusal);
  });
});

describe('violationType (policy_violation_total label)', () => {
  it.each([
    [{ rule: 'request_kind', reason: '…', kind: 'pack' }, 'pack'],
    [{ rule: 'operation_kind', reason: '…', kind: 'ballot:yay' }, 'ballot:yay'],
    [{ rule: 'operation_kind', reason: 'generic request has no operations' }, 'operation_kind'],
    [{ rule: 'authentication', reason: '…' }, 'authentication'],
    [{ rule: 'client', reason: '…' }, 'client'],
    [{ rule: 'not_listed', reason: '…' }, 'not_listed'],
    [{ rule: 'policy_hook', reason: '…' }, 'policy_hook'],
    [{ rule: 'chain', reason: '…' }, undefined],
  ] as const)('%j -> %s', (d, want) => {
    expect(violationType({ allow: false, ...d })).toBe(want);
  });
});
