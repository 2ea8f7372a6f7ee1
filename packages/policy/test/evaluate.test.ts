import { b58Encode, publicKeyHash } from '@signatory-ts/core';
import { buildPolicy, evaluate, type Decision, type KeyPolicyInput, type PolicyRule, type SignContext } from '../src';

const PKH = 'tz1WGcYos3hL7GXYXjKrMnSFdkT7FyXnFBvf';
const MAINNET = 'NetXdQprcVkpaWU';
const GHOSTNET = 'NetXnHfVqm9iesp';
const CLIENT_PK = 'edpkujLb5ZCZ2gprnRzE9aVHKZfx9A8EtWu2xxkwYSjBUJbesJ9rWE';
const CLIENT = publicKeyHash(CLIENT_PK); // tz1PhHHZRSEqFViUYYJeT5YJ9uzvgQgdNWXW
const STRANGER = b58Encode('tz1', new Uint8Array(20).fill(9));

const entry = (e: Partial<KeyPolicyInput>): KeyPolicyInput => ({ allowedRequests: [], allowedOperations: [], ...e });
const ctx = (c: Partial<SignContext>): SignContext => ({ pkh: PKH, requestKind: 'block', chainId: MAINNET, ...c });
const generic = (...operationKinds: string[]): Partial<SignContext> => ({ requestKind: 'generic', chainId: undefined, operationKinds });
const ALLOW: Decision = { allow: true };
/** A refusal as evaluate() answers it; `kind` names the refused request or operation kind, where there is one. */
const deny = (rule: PolicyRule, reason: string, kind?: string): Decision =>
  kind === undefined ? { allow: false, rule, reason } : { allow: false, rule, reason, kind };

type Row = [string, KeyPolicyInput | null | 'unlisted', Partial<SignContext>, Decision];

const rows: Row[] = [
  // listing and the default policy
  ['a pkh not under tezos: is refused before anything else', 'unlisted', {}, deny('not_listed', `${PKH} is not listed in config`)],
  ['default policy (null) allows block', null, {}, ALLOW],
  ['default policy allows preattestation', null, { requestKind: 'preattestation' }, ALLOW],
  ['default policy allows attestation', null, { requestKind: 'attestation' }, ALLOW],
  [
    'default policy refuses attestation_with_dal (DAL bakers must allow it)',
    null,
    { requestKind: 'attestation_with_dal' },
    deny('request_kind', "request kind `attestation_with_dal' is not allowed", 'attestation_with_dal'),
  ],
  [
    'default policy refuses generic',
    null,
    generic('transaction'),
    deny('request_kind', "request kind `generic' is not allowed", 'generic'),
  ],
  [
    'default policy refuses pack',
    null,
    { requestKind: 'pack', chainId: undefined },
    deny('request_kind', "request kind `pack' is not allowed", 'pack'),
  ],
  ['a mapping with nothing allowed refuses block', entry({}), {}, deny('request_kind', "request kind `block' is not allowed", 'block')],
  [
    'a mapping with nothing allowed refuses attestation',
    entry({}),
    { requestKind: 'attestation' },
    deny('request_kind', "request kind `attestation' is not allowed", 'attestation'),
  ],

  // request kinds
  ['an allowed request kind passes', entry({ allowedRequests: ['attestation_with_dal'] }), { requestKind: 'attestation_with_dal' }, ALLOW],
  [
    'a request kind missing from allow is refused by name',
    entry({ allowedRequests: ['attestation'] }),
    {},
    deny('request_kind', "request kind `block' is not allowed", 'block'),
  ],
  [
    'legacy_block is refused even if everything is allowed',
    entry({ allowedRequests: ['attestation', 'attestation_with_dal', 'block', 'generic', 'pack', 'preattestation'] }),
    { requestKind: 'legacy_block' },
    deny('request_kind', "request kind `legacy_block' is not allowed", 'legacy_block'),
  ],
  [
    'legacy_endorsement is refused',
    null,
    { requestKind: 'legacy_endorsement' },
    deny('request_kind', "request kind `legacy_endorsement' is not allowed", 'legacy_endorsement'),
  ],
  ['pack passes when allowed', entry({ allowedRequests: ['pack'] }), { requestKind: 'pack', chainId: undefined }, ALLOW],

  // generic operations
  [
    'generic with an allowed operation passes',
    entry({ allowedRequests: ['generic'], allowedOperations: ['transaction'] }),
    generic('transaction'),
    ALLOW,
  ],
  [
    'every operation of a batch must be allowed; the first refused one is named',
    entry({ allowedRequests: ['generic'], allowedOperations: ['reveal', 'transaction'] }),
    generic('reveal', 'delegation', 'origination'),
    deny('operation_kind', "operation `delegation' is not allowed", 'delegation'),
  ],
  [
    'a batch of allowed operations passes',
    entry({ allowedRequests: ['generic'], allowedOperations: ['delegation', 'reveal'] }),
    generic('reveal', 'delegation'),
    ALLOW,
  ],
  [
    'generic with a null list (allow.generic:) refuses every operation',
    entry({ allowedRequests: ['generic'] }),
    generic('transaction'),
    deny('operation_kind', "operation `transaction' is not allowed", 'transaction'),
  ],
  [
    'operations allowed without generic in the request kinds are refused at the request kind',
    entry({ allowedOperations: ['transaction'] }),
    generic('transaction'),
    deny('request_kind', "request kind `generic' is not allowed", 'generic'),
  ],
  [
    'a generic request with no operations is refused',
    entry({ allowedRequests: ['generic'], allowedOperations: ['transaction'] }),
    generic(),
    deny('operation_kind', 'generic request has no operations'),
  ],
  // each staking pseudo-operation (a transaction to oneself, with its entrypoint) is allowed by its own name only
  ...['stake', 'unstake', 'finalize_unstake', 'set_delegate_parameters'].map((kind): Row => [
    `transaction does not allow ${kind}`,
    entry({ allowedRequests: ['generic'], allowedOperations: ['transaction'] }),
    generic(kind),
    deny('operation_kind', `operation \`${kind}' is not allowed`, kind),
  ]),
  ['stake allowed by name passes', entry({ allowedRequests: ['generic'], allowedOperations: ['stake'] }), generic('stake'), ALLOW],
  [
    'stake does not allow transaction',
    entry({ allowedRequests: ['generic'], allowedOperations: ['stake'] }),
    generic('transaction'),
    deny('operation_kind', "operation `transaction' is not allowed", 'transaction'),
  ],
  ['ballot allows every vote', entry({ allowedRequests: ['generic'], allowedOperations: ['ballot'] }), generic('ballot:nay'), ALLOW],
  [
    'ballot:yay allows a yay ballot',
    entry({ allowedRequests: ['generic'], allowedOperations: ['ballot:yay'] }),
    generic('ballot:yay'),
    ALLOW,
  ],
  [
    'ballot:yay refuses a nay ballot by its vote',
    entry({ allowedRequests: ['generic'], allowedOperations: ['ballot:yay'] }),
    generic('ballot:nay'),
    deny('operation_kind', "operation `ballot:nay' is not allowed", 'ballot:nay'),
  ],
  [
    'ballot:pass refuses a yay ballot',
    entry({ allowedRequests: ['generic'], allowedOperations: ['ballot:pass'] }),
    generic('ballot:yay'),
    deny('operation_kind', "operation `ballot:yay' is not allowed", 'ballot:yay'),
  ],
  [
    'operation kinds are ignored for non-generic requests',
    entry({ allowedRequests: ['block'] }),
    { operationKinds: ['transaction'] },
    ALLOW,
  ],

  // chains
  ['a listed chain passes', entry({ allowedRequests: ['block'], allowedChains: [MAINNET] }), {}, ALLOW],
  [
    'another chain is refused by name',
    entry({ allowedRequests: ['block'], allowedChains: [MAINNET] }),
    { chainId: GHOSTNET },
    deny('chain', `chain \`${GHOSTNET}' is not allowed`),
  ],
  [
    'allowed_chains does not restrict generic requests',
    entry({ allowedRequests: ['generic'], allowedOperations: ['transaction'], allowedChains: [MAINNET] }),
    generic('transaction'),
    ALLOW,
  ],
  [
    'allowed_chains does not restrict pack requests',
    entry({ allowedRequests: ['pack'], allowedChains: [MAINNET] }),
    { requestKind: 'pack', chainId: undefined },
    ALLOW,
  ],
  [
    'the chain is checked before the request kind',
    entry({ allowedChains: [MAINNET] }),
    { chainId: GHOSTNET },
    deny('chain', `chain \`${GHOSTNET}' is not allowed`),
  ],
  [
    'an empty allowed_chains list refuses every chain',
    entry({ allowedRequests: ['block'], allowedChains: [] }),
    {},
    deny('chain', `chain \`${MAINNET}' is not allowed`),
  ],

  // client authentication
  [
    'per-key authorized_keys without an authenticated client: authentication required',
    entry({ allowedRequests: ['block'], authorizedKeys: [CLIENT_PK] }),
    {},
    deny('authentication', 'authentication required'),
  ],
  ['the listed client passes', entry({ allowedRequests: ['block'], authorizedKeys: [CLIENT_PK] }), { clientPkh: CLIENT }, ALLOW],
  [
    'another authenticated client is refused by its hash',
    entry({ allowedRequests: ['block'], authorizedKeys: [CLIENT_PK] }),
    { clientPkh: STRANGER },
    deny('client', `client \`${STRANGER}' is not allowed`),
  ],
  ['without per-key authorized_keys any client (or none) passes', entry({ allowedRequests: ['block'] }), { clientPkh: STRANGER }, ALLOW],
  [
    'the client is checked after the chain and before the request kind',
    entry({ authorizedKeys: [CLIENT_PK], allowedChains: [MAINNET] }),
    {},
    deny('authentication', 'authentication required'),
  ],

  // JWT users
  [
    'a JWT user missing from jwt_users is refused',
    entry({ allowedRequests: ['block'], jwtUsers: ['alice'] }),
    { jwtUser: 'bob' },
    deny('jwt_user', `user \`bob' is not authorized to access ${PKH}`),
  ],
  ['a listed JWT user passes', entry({ allowedRequests: ['block'], jwtUsers: ['alice'] }), { jwtUser: 'alice' }, ALLOW],
  [
    'a key with jwt_users refuses a request that carries no JWT user',
    entry({ allowedRequests: ['block'], jwtUsers: ['alice'] }),
    {},
    deny('jwt_user', `a JWT user is required to access ${PKH}`),
  ],
  ['without jwt_users a request with no JWT user passes', entry({ allowedRequests: ['block'] }), {}, ALLOW],
];

describe('evaluate', () => {
  it.each(rows)('%s', (_name, e, c, want) => {
    expect(evaluate(ctx(c), e === 'unlisted' ? undefined : buildPolicy(e))).toEqual(want);
  });
});

describe('buildPolicy', () => {
  it('gives the default policy exactly block, preattestation and attestation', () => {
    const p = buildPolicy(null);
    expect([...p.requests]).toEqual(['block', 'preattestation', 'attestation']);
    expect(p.operations.size).toBe(0);
    expect(p.chains).toBeUndefined();
    expect(p.clients).toBeUndefined();
  });

  it('hashes per-key authorized keys once', () => {
    expect([...buildPolicy(entry({ authorizedKeys: [CLIENT_PK] })).clients!]).toEqual(['tz1PhHHZRSEqFViUYYJeT5YJ9uzvgQgdNWXW']);
  });

  it('refuses a request kind it does not know (config_invalid)', () => {
    expect(() => buildPolicy(entry({ allowedRequests: ['legacy_block' as never] }))).toThrow(/invalid request kind `legacy_block`/);
  });

  it('refuses an authorized key that is not a public key (config_invalid)', () => {
    expect(() => buildPolicy(entry({ authorizedKeys: [CLIENT] }))).toThrow(
      expect.objectContaining({ code: 'config_invalid', message: expect.stringMatching(/^authorized_keys: /) }),
    );
  });
});
