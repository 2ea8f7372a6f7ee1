import { parseConfig } from '@signatory-ts/config';
import { b58Encode } from '@signatory-ts/core';
import { StaticPolicy, type SignContext } from '../src';

// Policies built from real signatory.yaml text through packages/config: the normalised shape
// config produces (aliases, legacy keys, null lists) is what evaluate sees in production.

const pkh = (n: number) => b58Encode('tz1', new Uint8Array(20).fill(n));
const [DEFAULT, EMPTY, LEGACY, BAKER, VOTER, NULL_GENERIC, AUTHED] = [pkh(1), pkh(2), pkh(3), pkh(4), pkh(5), pkh(6), pkh(7)];
const CLIENT_PK = 'edpkujLb5ZCZ2gprnRzE9aVHKZfx9A8EtWu2xxkwYSjBUJbesJ9rWE';
const CLIENT = 'tz1PhHHZRSEqFViUYYJeT5YJ9uzvgQgdNWXW';
const MAINNET = 'NetXdQprcVkpaWU';

const YAML = `
base_dir: /tmp/signatory-policy-test
server:
  authorized_keys: ${CLIENT_PK}
vaults:
  kms:
    driver: awskms
    config: {region: eu-west-1}
tezos:
  ${DEFAULT}:
  ${EMPTY}:
    log_payloads: true
  ${LEGACY}:
    allowed_operations: [generic, block, endorsement]
    allowed_kinds: [transaction, reveal]
  ${BAKER}:
    allow:
      block:
      preattestation:
      attestation:
      attestation_with_dal:
    allowed_chains: [${MAINNET}]
  ${VOTER}:
    allow:
      generic: [ballot:yay, transaction]
  ${NULL_GENERIC}:
    allow:
      generic:
  ${AUTHED}:
    allow:
      block:
    authorized_keys: [${CLIENT_PK}]
`;

const policy = new StaticPolicy(parseConfig(YAML).tezos);
const evaluate = (c: Partial<SignContext> & { pkh: string }) =>
  policy.evaluate({ requestKind: 'block', chainId: MAINNET, ...c } as SignContext);
const reason = (c: Partial<SignContext> & { pkh: string }) => {
  const d = evaluate(c);
  return d.allow ? 'allowed' : d.reason;
};

it.each<[string, Partial<SignContext> & { pkh: string }, string]>([
  ['a listed key with no value gets the default policy', { pkh: DEFAULT, requestKind: 'attestation' }, 'allowed'],
  [
    'the default policy has no attestation_with_dal',
    { pkh: DEFAULT, requestKind: 'attestation_with_dal' },
    "request kind `attestation_with_dal' is not allowed",
  ],
  ['a mapping with only log_payloads allows nothing', { pkh: EMPTY }, "request kind `block' is not allowed"],
  ['legacy allowed_operations: endorsement is read as attestation', { pkh: LEGACY, requestKind: 'attestation' }, 'allowed'],
  [
    'legacy allowed_operations does not give preattestation',
    { pkh: LEGACY, requestKind: 'preattestation' },
    "request kind `preattestation' is not allowed",
  ],
  [
    'legacy allowed_kinds lists generic operations',
    { pkh: LEGACY, requestKind: 'generic', chainId: undefined, operationKinds: ['reveal', 'transaction'] },
    'allowed',
  ],
  [
    'legacy allowed_kinds refuses others',
    { pkh: LEGACY, requestKind: 'generic', chainId: undefined, operationKinds: ['delegation'] },
    "operation `delegation' is not allowed",
  ],
  ['allow: with attestation_with_dal on the listed chain', { pkh: BAKER, requestKind: 'attestation_with_dal' }, 'allowed'],
  ['allowed_chains refuses another chain', { pkh: BAKER, chainId: 'NetXnHfVqm9iesp' }, "chain `NetXnHfVqm9iesp' is not allowed"],
  ['ballot:yay allows yay', { pkh: VOTER, requestKind: 'generic', chainId: undefined, operationKinds: ['ballot:yay'] }, 'allowed'],
  [
    'ballot:yay refuses pass',
    { pkh: VOTER, requestKind: 'generic', chainId: undefined, operationKinds: ['ballot:pass'] },
    "operation `ballot:pass' is not allowed",
  ],
  [
    'transaction does not cover stake',
    { pkh: VOTER, requestKind: 'generic', chainId: undefined, operationKinds: ['stake'] },
    "operation `stake' is not allowed",
  ],
  [
    'allow.generic with no list refuses every operation',
    { pkh: NULL_GENERIC, requestKind: 'generic', chainId: undefined, operationKinds: ['transaction'] },
    "operation `transaction' is not allowed",
  ],
  ['per-key authorized_keys needs an authenticated client', { pkh: AUTHED }, 'authentication required'],
  ['per-key authorized_keys lets the listed client through', { pkh: AUTHED, clientPkh: CLIENT }, 'allowed'],
  ['a key not in tezos: is not listed', { pkh: pkh(99) }, `${pkh(99)} is not listed in config`],
])('%s', (_name, c, want) => {
  expect(reason(c)).toBe(want);
});
