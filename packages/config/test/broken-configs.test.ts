import { getPkhfromPk } from '@taquito/utils';
import { isSignatoryError } from '@signatory-ts/core';
import { parseConfig, type ConfigError } from '@signatory-ts/config';
import { configError } from './config-error';

const TZ1 = 'tz1c8PEDNfj6UxoQM2XCyfTHM5KbGGgoqDrH';
const TZ3 = 'tz3PUkjqtsAg1uV3aQTWTMs6SBDYbY9BkUp6';
const EDPK = 'edpkuhEcwoLysLvodRxQLzuM3AVZvCuT6koVkUahS53mNBdE8LbuGo';

const errorOf = (yaml: string, env: Record<string, string> = {}): ConfigError =>
  configError(() => parseConfig(yaml, { env, file: 'signatory.yaml' }));

/** [what is wrong, YAML, the exact message]. */
const CASES: [string, string, string][] = [
  [
    'unknown operation kind, with the Tezos name suggested',
    `tezos:\n  ${TZ3}:\n    allow:\n      generic: [transaction, reveal, transfer]\n`,
    `signatory.yaml:4:38: tezos.${TZ3}.allow.generic[2]: unknown operation kind "transfer" (did you mean "transaction"?)`,
  ],
  [
    'misspelt operation kind',
    `tezos:\n  ${TZ1}:\n    allow:\n      generic:\n        - delegaton\n`,
    `signatory.yaml:5:11: tezos.${TZ1}.allow.generic[0]: unknown operation kind "delegaton" (did you mean "delegation"?)`,
  ],
  [
    'unknown request kind under allow',
    `tezos:\n  ${TZ1}:\n    allow:\n      blok:\n`,
    `signatory.yaml:4:7: tezos.${TZ1}.allow.blok: unknown request kind "blok" (did you mean "block"?); expected one of: attestation, attestation_with_dal, block, generic, pack, preattestation`,
  ],
  [
    'an operation kind written as a request kind (Signatory docs example)',
    `tezos:\n  ${TZ1}:\n    allow:\n      failing_noop:\n`,
    `signatory.yaml:4:7: tezos.${TZ1}.allow.failing_noop: "failing_noop" is an operation kind, not a request kind: list it under allow.generic`,
  ],
  [
    'a deprecated request kind in allow.generic fails under its new name',
    `tezos:\n  ${TZ1}:\n    allow:\n      generic: [endorsement]\n`,
    `signatory.yaml:4:17: tezos.${TZ1}.allow.generic[0]: "attestation" (written as "endorsement") is a request kind, not an operation kind: allow it with "allow.attestation:"`,
  ],
  [
    'bad ballot vote',
    `tezos:\n  ${TZ1}:\n    allow:\n      generic: ["ballot:yes"]\n`,
    `signatory.yaml:4:17: tezos.${TZ1}.allow.generic[0]: unknown ballot vote "yes" (did you mean "yay"?); expected ballot, ballot:yay, ballot:nay or ballot:pass`,
  ],
  [
    'sub-kind on something other than ballot',
    `tezos:\n  ${TZ1}:\n    allow:\n      generic: ["transaction:default"]\n`,
    `signatory.yaml:4:17: tezos.${TZ1}.allow.generic[0]: "transaction:default": only ballot takes a sub-kind (ballot:yay, ballot:nay, ballot:pass)`,
  ],
  [
    'a list under a request kind other than generic',
    `tezos:\n  ${TZ1}:\n    allow:\n      block: [transaction]\n`,
    `signatory.yaml:4:7: tezos.${TZ1}.allow.block: takes no list (only allow.generic lists operation kinds); write "block:" with no value`,
  ],
  ['unknown top-level key', `vault:\n  kms: {driver: awskms}\n`, `signatory.yaml:1:1: vault: unknown key "vault" (did you mean "vaults"?)`],
  [
    'unknown policy key (a typo Go Signatory would silently ignore)',
    `tezos:\n  ${TZ1}:\n    allow: {block: }\n    allowed_chain: [NetXdQprcVkpaWU]\n`,
    `signatory.yaml:4:5: tezos.${TZ1}.allowed_chain: unknown key "allowed_chain" (did you mean "allowed_chains"?)`,
  ],
  [
    'unknown key with no close match lists the expected keys',
    `server:\n  color: blue\n`,
    `signatory.yaml:2:3: server.color: unknown key "color"; expected one of: address, utility_address, authorized_keys, tls, utility_tls, jwt`,
  ],
  [
    'wrong type',
    `tezos:\n  ${TZ1}:\n    log_payloads: yes\n`,
    `signatory.yaml:3:5: tezos.${TZ1}.log_payloads: expected true or false, got a string`,
  ],
  [
    'a public key where a pkh belongs, with the pkh suggested',
    `tezos:\n  ${EDPK}:\n`,
    `signatory.yaml:2:3: tezos.${EDPK}: "${EDPK}" is a public key, not a public key hash (write its hash ${TZ1})`,
  ],
  [
    'a pkh with a bad checksum',
    `tezos:\n  tz1c8PEDNfj6UxoQM2XCyfTHM5KbGGgoqDrJ:\n`,
    `signatory.yaml:2:3: tezos.tz1c8PEDNfj6UxoQM2XCyfTHM5KbGGgoqDrJ: "tz1c8PEDNfj6UxoQM2XCyfTHM5KbGGgoqDrJ" is not a public key hash (expected tz1, tz2, tz3 or tz4 with a valid checksum)`,
  ],
  [
    'a pkh in authorized_keys',
    `server:\n  authorized_keys: [${EDPK}, ${TZ1}]\n`,
    `signatory.yaml:2:77: server.authorized_keys[1]: "${TZ1}" is a public key hash; authorized_keys takes public keys (edpk, sppk, p2pk or BLpk)`,
  ],
  [
    'bad chain id',
    `tezos:\n  ${TZ1}:\n    allow: {block: }\n    allowed_chains: [mainnet]\n`,
    `signatory.yaml:4:22: tezos.${TZ1}.allowed_chains[0]: "mainnet" is not a chain id (expected Net… such as NetXdQprcVkpaWU, mainnet)`,
  ],
  [
    'a Go Signatory vault driver this build lacks',
    `vaults:\n  hw:\n    driver: ledger\n    config: {id: 1}\n`,
    `signatory.yaml:3:5: vaults.hw.driver: driver "ledger" is not supported by this build (supported: awskms)`,
  ],
  [
    'a misspelt vault driver',
    `vaults:\n  kms:\n    driver: awskm\n`,
    `signatory.yaml:3:5: vaults.kms.driver: unknown vault driver "awskm" (did you mean "awskms"?) (supported: awskms)`,
  ],
  [
    'vault without a driver',
    `vaults:\n  kms:\n    config: {region: us-east-1}\n`,
    `signatory.yaml:2:3: vaults.kms: missing required key "driver"`,
  ],
  [
    'unknown awskms config key',
    `vaults:\n  kms:\n    driver: awskms\n    config:\n      regoin: us-east-1\n`,
    `signatory.yaml:5:7: vaults.kms.config.regoin: unknown key "regoin" (did you mean "region"?)`,
  ],
  [
    'awskms endpoint that is not a URL',
    `vaults:\n  kms:\n    driver: awskms\n    config:\n      endpoint: localhost:4599\n`,
    `signatory.yaml:5:7: vaults.kms.config.endpoint: is not a URL (expected http://host:port/path or https://…; a bare host:port needs http:// in front)`,
  ],
  [
    'awskms keys entry that is no KMS key reference',
    `vaults:\n  kms:\n    driver: awskms\n    config:\n      keys: [baker]\n`,
    `signatory.yaml:5:14: vaults.kms.config.keys[0]: "baker" is not a KMS key reference (expected a key id, mrk-… id, key ARN, alias/name or alias ARN)`,
  ],
  [
    'jwt together with server authorized_keys',
    `server:\n  authorized_keys: ${EDPK}\n  jwt:\n    users:\n      alice: {password: "Correct-Horse-Battery-1", secret: "Zk3!mQ9#vR2$wT7%yU4^aB8&cD1*eF5("}\n`,
    `signatory.yaml:1:1: server: jwt and authorized_keys cannot be used together (Go Signatory refuses this too): keep one of them`,
  ],
  [
    'watermark backend this build lacks',
    `watermark:\n  driver: gcp\n  config: {project: p}\n`,
    `signatory.yaml:2:3: watermark.driver: driver "gcp" is not supported by this build (supported: file, mem, aws, postgres)`,
  ],
  ['bad listen address', `server:\n  address: 6732\n`, `signatory.yaml:2:3: server.address: expected a string, got a whole number`],
  [
    'listen address without a port',
    `server:\n  address: localhost\n`,
    `signatory.yaml:2:3: server.address: "localhost" is not a listen address (expected host:port, e.g. 127.0.0.1:6732, [::1]:6732 or :6732 for every interface)`,
  ],
  [
    'policy hook address without a scheme',
    `policy_hook:\n  address: localhost:9000\n`,
    `signatory.yaml:2:3: policy_hook.address: is not a URL (expected http://host:port/path or https://…; a bare host:port needs http:// in front)`,
  ],
  [
    'a BLS key for policy hook replies',
    `policy_hook:\n  address: http://127.0.0.1:9000/hook\n  authorized_keys:\n    - ${EDPK}\n    - BLpk1zN6gfET9J3X9MJgvthy6qMb1kMT5CpJMkofcbobta6SRwhmTwEtjvjxtcTB9WjqWe2q1mgK\n`,
    `signatory.yaml:5:7: policy_hook.authorized_keys[1]: is a BLS key: hook replies can be verified with ed25519 (edpk), secp256k1 (sppk) or P-256 (p2pk) keys only; give the hook one of those`,
  ],
  [
    'policy hook timeout of zero',
    `policy_hook:\n  address: http://127.0.0.1:9000/hook\n  timeout_ms: 0\n`,
    `signatory.yaml:3:3: policy_hook.timeout_ms: must be at least 1`,
  ],
  [
    'a policy hook CA file for a plain http hook',
    `policy_hook:\n  address: http://127.0.0.1:9000/hook\n  ca_file: /etc/signatory/hook-ca.pem\n`,
    `signatory.yaml:3:3: policy_hook.ca_file: is set but policy_hook.address is plain http, where no certificate is checked: use an https:// address, or remove ca_file`,
  ],
  [
    'an empty policy hook CA file',
    `policy_hook:\n  address: https://127.0.0.1:9000/hook\n  ca_file: ""\n`,
    `signatory.yaml:3:3: policy_hook.ca_file: must not be empty`,
  ],
  [
    'both allow and the legacy keys',
    `tezos:\n  ${TZ1}:\n    allow: {block: }\n    allowed_operations: [block]\n`,
    `signatory.yaml:2:3: tezos.${TZ1}: has both allow and the deprecated allowed_operations/allowed_kinds; Go Signatory silently ignores the deprecated keys when allow is present — keep only allow`,
  ],
  [
    'per-key authorized_keys without server authorized_keys',
    `tezos:\n  ${TZ1}:\n    allow: {block: }\n    authorized_keys: ${EDPK}\n`,
    `signatory.yaml:4:5: tezos.${TZ1}.authorized_keys: needs server.authorized_keys: requests are only authenticated when the server has authorized keys, so every request for this key would be refused`,
  ],
  [
    'jwt_users naming an undefined user',
    `server:\n  jwt:\n    users:\n      alice: {password: "Correct-Horse-Battery-1", secret: "Zk3!mQ9#vR2$wT7%yU4^aB8&cD1*eF5("}\ntezos:\n  ${TZ1}:\n    jwt_users: [alcie]\n`,
    `signatory.yaml:7:17: tezos.${TZ1}.jwt_users[0]: user "alcie" is not defined in server.jwt.users (did you mean "alice"?)`,
  ],
  [
    'weak jwt password',
    `server:\n  jwt:\n    users:\n      alice: {password: "short", secret: "Zk3!mQ9#vR2$wT7%yU4^aB8&cD1*eF5("}\n`,
    `signatory.yaml:4:15: server.jwt.users.alice.password: is too weak: needs at least 16 characters, an upper-case letter, a digit, a special character`,
  ],
  ['jwt with no users', `server:\n  jwt:\n    users: {}\n`, `signatory.yaml:3:5: server.jwt.users: must have at least one entry`],
  [
    'a policy that is a list',
    `tezos:\n  ${TZ1}: [block]\n`,
    `signatory.yaml:2:3: tezos.${TZ1}: expected a mapping or an empty value, got a list`,
  ],
  [
    'watermark config for a driver that takes none',
    `watermark:\n  driver: file\n  config: {dir: /tmp}\n`,
    `signatory.yaml:3:3: watermark.config: driver "file" takes no config (the file driver keeps its state under base_dir)`,
  ],
  [
    'access key without its secret',
    `vaults:\n  kms:\n    driver: awskms\n    config:\n      access_key_id: AKIAEXAMPLE\n`,
    `signatory.yaml:4:5: vaults.kms.config: access_key_id and secret_access_key go together: set both or neither`,
  ],
  [
    'duplicate pkh',
    `tezos:\n  ${TZ1}:\n  ${TZ1}:\n    allow: {generic: [transaction]}\n`,
    `signatory.yaml:3:3: invalid YAML: duplicated mapping key`,
  ],
  ['YAML syntax error', `tezos:\n  ${TZ1}:\n    allow: [block\n`, `signatory.yaml:4:1: invalid YAML: deficient indentation`],
  [
    'unset environment variable',
    `vaults:\n  kms:\n    driver: awskms\n    config:\n      region: \${AWS_REGION}\n`,
    `signatory.yaml:5:7: vaults.kms.config.region: environment variable AWS_REGION is not set`,
  ],
];

describe('broken configs give one config_invalid error with an exact message', () => {
  test.each(CASES)('%s', (_what, yaml, message) => {
    const e = errorOf(yaml);
    expect(isSignatoryError(e)).toBe(true);
    expect(e.code).toBe('config_invalid');
    expect(e.message).toBe(message);
  });

  test('the pkh suggested for a public key is the one Taquito derives', () => {
    expect(getPkhfromPk(EDPK)).toBe(TZ1);
    expect(errorOf(`tezos:\n  ${EDPK}:\n`).message).toContain(`write its hash ${getPkhfromPk(EDPK)}`);
  });

  test('every problem is reported, in file order, not only the first', () => {
    const e = errorOf(
      [
        'server:',
        '  adress: ":6732"',
        'vaults:',
        '  kms: {driver: ledger}',
        'tezos:',
        `  ${TZ1}:`,
        '    allow:',
        '      generic: [transfer, "ballot:yes"]',
        `  ${EDPK}:`,
        'watermark: {driver: gcp}',
      ].join('\n'),
    );
    expect(e.problems).toEqual([
      'signatory.yaml:2:3: server.adress: unknown key "adress" (did you mean "address"?)',
      'signatory.yaml:4:9: vaults.kms.driver: driver "ledger" is not supported by this build (supported: awskms)',
      `signatory.yaml:8:17: tezos.${TZ1}.allow.generic[0]: unknown operation kind "transfer" (did you mean "transaction"?)`,
      `signatory.yaml:8:27: tezos.${TZ1}.allow.generic[1]: unknown ballot vote "yes" (did you mean "yay"?); expected ballot, ballot:yay, ballot:nay or ballot:pass`,
      `signatory.yaml:9:3: tezos.${EDPK}: "${EDPK}" is a public key, not a public key hash (write its hash ${TZ1})`,
      'signatory.yaml:10:13: watermark.driver: driver "gcp" is not supported by this build (supported: file, mem, aws, postgres)',
    ]);
    expect(e.message).toBe(e.problems.join('\n'));
  });

  test('a root that is not a mapping', () => {
    expect(errorOf('- a\n- b\n').message).toBe('signatory.yaml:1:1: expected a mapping, got a list');
  });

  test('two YAML documents', () => {
    expect(errorOf('server:\n---\ntezos:\n').message).toBe('signatory.yaml: expected one YAML document, found 2 (remove the extra ---)');
  });
});
