import { join } from 'node:path';
import { DEFAULT_ALLOWED_REQUESTS } from '@signatory-ts/core';
import {
  DEFAULT_BASE_DIR,
  DEFAULT_SERVER_ADDRESS,
  DEFAULT_UTILITY_ADDRESS,
  ConfigError,
  loadConfig,
  parseConfig,
} from '@signatory-ts/config';

const fixture = (name: string) => join(__dirname, 'fixtures', name);
const env = {};
/** A config must name a vault; this one goes last so the positions of the lines above stay. */
const withVault = (yaml: string) => `${yaml}\nvaults: {kms: {driver: awskms}}\n`;

describe('valid configs', () => {
  test('a vault alone gives every other default', () => {
    const c = parseConfig(withVault(''), { env });
    expect(c.baseDir).toBe(DEFAULT_BASE_DIR);
    expect(c.server).toEqual({ address: '127.0.0.1:6732', utilityAddress: '127.0.0.1:9583' });
    expect(c.vaults.size).toBe(1);
    expect(c.tezos.size).toBe(0);
    expect(c.watermark).toEqual({ driver: 'file' });
    expect(c.policyHook).toBeUndefined();
  });

  test('listeners default to loopback, unlike Go Signatory', () => {
    expect(DEFAULT_SERVER_ADDRESS).toBe('127.0.0.1:6732');
    expect(DEFAULT_UTILITY_ADDRESS).toBe('127.0.0.1:9583');
    expect(parseConfig(withVault('server:'), { env }).server.address).toBe('127.0.0.1:6732');
  });

  test('Go Signatory integration shape with an awskms vault loads, with warnings for its leftovers', async () => {
    const c = await loadConfig(fixture('awskms-integration.yaml'), { env });
    expect(c.server.address).toBe(':6732');
    expect(c.vaults.get('aws')).toEqual({
      driver: 'awskms',
      config: {
        accessKeyId: 'AKIAEXAMPLEEXAMPLE00',
        secretAccessKey: 'placeholder/Secret+Value/For/Tests0000',
        region: 'us-west-2',
      },
    });
    expect([...c.tezos.keys()]).toEqual([
      'tz1c8PEDNfj6UxoQM2XCyfTHM5KbGGgoqDrH',
      'tz1RmNmuNm9ygsA17RBzX38GJWG3Bex5U9UT',
      'tz1XW83nyuhuQFyVMSRu1G1S2JhqGdES7qou',
      'tz3PUkjqtsAg1uV3aQTWTMs6SBDYbY9BkUp6',
    ]);
    expect(c.tezos.get('tz1RmNmuNm9ygsA17RBzX38GJWG3Bex5U9UT')).toEqual({
      allowedRequests: ['block', 'generic'],
      allowedOperations: ['delegation', 'reveal', 'set_deposits_limit', 'transaction'],
      allowProofOfPossession: false,
      logPayloads: true,
    });
    expect(c.tezos.get('tz1XW83nyuhuQFyVMSRu1G1S2JhqGdES7qou')?.allowedRequests).toEqual([]);
    expect(c.tezos.get('tz3PUkjqtsAg1uV3aQTWTMs6SBDYbY9BkUp6')?.allowedRequests).toEqual(['attestation', 'block', 'preattestation']);
    const f = fixture('awskms-integration.yaml');
    expect(c.warnings).toEqual([
      `${f}:8:7: vaults.aws.config.user_name: is ignored (as in Go Signatory since it dropped the setting); remove it`,
      `${f}:33:3: tezos.tz1XW83nyuhuQFyVMSRu1G1S2JhqGdES7qou: has a policy mapping but no allow: entries, so this key signs nothing (list it as "tz1XW83nyuhuQFyVMSRu1G1S2JhqGdES7qou:" with no value for the default block, preattestation, attestation policy)`,
      `${f}:38:3: tezos.tz3PUkjqtsAg1uV3aQTWTMs6SBDYbY9BkUp6: uses deprecated "endorsement" (now "attestation"), "preendorsement" (now "preattestation"); write instead:\n` +
        '  allow:\n    attestation:\n    block:\n    preattestation:',
    ]);
  });

  test('null keeps the default policy; legacy keys become allow with a warning showing the allow: YAML', async () => {
    const c = await loadConfig(fixture('legacy-policy.yaml'), { env });
    expect(c.tezos.get('tz2JdR1f2ssXHBELKBWFCsXGyB4ZgzZZQ2Pg')).toBeNull();
    expect(c.tezos.has('tz2JdR1f2ssXHBELKBWFCsXGyB4ZgzZZQ2Pg')).toBe(true);
    expect(DEFAULT_ALLOWED_REQUESTS).toEqual(['block', 'preattestation', 'attestation']);
    expect(c.tezos.get('tz3PUkjqtsAg1uV3aQTWTMs6SBDYbY9BkUp6')).toEqual({
      allowedRequests: ['attestation', 'block', 'generic'],
      allowedOperations: ['reveal', 'transaction'],
      allowProofOfPossession: false,
      logPayloads: true,
    });
    expect(c.warnings).toEqual([
      `${fixture('legacy-policy.yaml')}:16:3: tezos.tz3PUkjqtsAg1uV3aQTWTMs6SBDYbY9BkUp6: uses deprecated allowed_operations, allowed_kinds, "endorsement" (now "attestation"); write instead:\n` +
        '  allow:\n    attestation:\n    block:\n    generic:\n      - reveal\n      - transaction',
    ]);
  });

  test('every key this build understands is read into the typed result', async () => {
    const c = await loadConfig(fixture('full.yaml'), { env });
    expect(c.baseDir).toBe('/srv/signatory');
    expect(c.server).toEqual({
      address: '0.0.0.0:6732',
      utilityAddress: '[::1]:9583',
      authorizedKeys: [
        'edpkuhEcwoLysLvodRxQLzuM3AVZvCuT6koVkUahS53mNBdE8LbuGo',
        'sppk7bTVxYg1ZXwPumgFcid8rBBW443MCb5DHw6y3aq7dLcAKUMTa8S',
        'p2pk65Dd82G3JpWBNWmRdUJ7XJhkTbX1Q7jQDFkJKK5TJyhZLGqSG1N',
      ],
    });
    expect(c.vaults.get('kms')).toEqual({
      driver: 'awskms',
      config: {
        region: 'us-east-1',
        endpoint: 'http://127.0.0.1:4599',
        keys: [
          '1234abcd-12ab-34cd-56ef-1234567890ab',
          'alias/baker',
          'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
        ],
      },
    });
    expect(c.tezos.get('tz4Pso9Fs8guySwwiL4sf53bai49JDyWd516')).toEqual({
      allowedRequests: ['attestation', 'attestation_with_dal', 'block', 'generic', 'pack', 'preattestation'],
      allowedOperations: ['ballot:yay', 'finalize_unstake', 'reveal', 'stake', 'transaction', 'unstake'],
      allowedChains: ['NetXdQprcVkpaWU'],
      authorizedKeys: ['edpkuhEcwoLysLvodRxQLzuM3AVZvCuT6koVkUahS53mNBdE8LbuGo'],
      allowProofOfPossession: true,
      logPayloads: false,
    });
    // `generic:` with no list allows generic requests with no operation kind (every op refused).
    expect(c.tezos.get('tz1c8PEDNfj6UxoQM2XCyfTHM5KbGGgoqDrH')).toMatchObject({
      allowedRequests: ['generic'],
      allowedOperations: [],
    });
    expect(c.policyHook).toEqual({
      address: 'http://127.0.0.1:9000/approve',
      authorizedKeys: ['edpkud8oWEmsioAfxyFt45aP3tXncZGKQMJMg3aRwStxwLFNGfFKeu'],
    });
    expect(c.watermark).toEqual({ driver: 'mem' });
    expect(c.warnings).toEqual([]);
  });

  test('policy_hook.timeout_ms (ours) is read; absent, the hook keeps its default', () => {
    const hook = (extra: string) =>
      parseConfig(withVault(`policy_hook:\n  address: http://127.0.0.1:9000/hook\n${extra}`), { env }).policyHook;
    expect(hook('  timeout_ms: 1500\n')).toEqual({ address: 'http://127.0.0.1:9000/hook', timeoutMs: 1500 });
    expect(hook('')).toEqual({ address: 'http://127.0.0.1:9000/hook' });
  });

  test('policy_hook.ca_file (ours) is read for an https hook; the file itself is read when the hook is built', () => {
    const hook = parseConfig(withVault('policy_hook:\n  address: https://hook.internal:9443/approve\n  ca_file: /no/such/ca.pem\n'), {
      env,
    }).policyHook;
    expect(hook).toEqual({ address: 'https://hook.internal:9443/approve', caFile: '/no/such/ca.pem' });
  });

  test('jwt users with rotation and per-key jwt_users', async () => {
    const c = await loadConfig(fixture('jwt.yaml'), { env });
    const alice = c.server.jwt?.users.get('alice');
    expect(alice).toEqual({
      password: 'Correct-Horse-Battery-1',
      secret: 'Zk3!mQ9#vR2$wT7%yU4^aB8&cD1*eF5(',
      expMinutes: 15,
      oldCredExp: new Date('2030-01-02T03:04:05Z'),
      newData: { password: 'Another-Horse-Battery-2', secret: 'Qp4!nW8#xE3$rT6%yU1^iO7&pA2*sD9(', expMinutes: 30 },
    });
    expect(c.server.jwt?.users.get('bob')?.expMinutes).toBe(60);
    expect(c.server.authorizedKeys).toBeUndefined();
    expect(c.vaults.get('kms')).toEqual({ driver: 'awskms', config: {} });
    expect(c.tezos.get('tz1c8PEDNfj6UxoQM2XCyfTHM5KbGGgoqDrH')?.jwtUsers).toEqual(['alice']);
  });

  test('an unsigned policy hook over plain http to another host loads with a warning', () => {
    const warnings = (hook: string) =>
      parseConfig(withVault(`policy_hook:\n${hook}`), { env }).warnings.filter((w) => w.includes('policy_hook'));
    expect(warnings('  address: http://10.0.0.5:9000/approve')).toEqual([
      'signatory.yaml:2:3: policy_hook.address: is plain http to another host and replies are not signed: anything on the network path can approve signatures; set policy_hook.authorized_keys or use https',
    ]);
    expect(warnings('  address: http://localhost:9000/approve')).toEqual([]);
    expect(warnings('  address: http://[::1]:9000/approve')).toEqual([]);
    expect(warnings('  address: https://hook.example:9000/approve')).toEqual([]);
    expect(
      warnings('  address: http://10.0.0.5:9000/approve\n  authorized_keys: [edpkud8oWEmsioAfxyFt45aP3tXncZGKQMJMg3aRwStxwLFNGfFKeu]'),
    ).toEqual([]);
  });

  test('allow_proof_of_possession on a non-tz4 key loads with a warning', () => {
    const c = parseConfig(
      withVault('tezos:\n  tz1c8PEDNfj6UxoQM2XCyfTHM5KbGGgoqDrH:\n    allow: {block: }\n    allow_proof_of_possession: true'),
      { env },
    );
    expect(c.warnings).toEqual([
      'signatory.yaml:4:5: tezos.tz1c8PEDNfj6UxoQM2XCyfTHM5KbGGgoqDrH.allow_proof_of_possession: has no effect: proofs of possession exist only for tz4 (BLS) keys',
    ]);
  });

  test('a per-key authorized key missing from the server list loads with a warning', () => {
    const c = parseConfig(
      [
        'server:',
        '  authorized_keys: edpkuhEcwoLysLvodRxQLzuM3AVZvCuT6koVkUahS53mNBdE8LbuGo',
        'tezos:',
        '  tz1c8PEDNfj6UxoQM2XCyfTHM5KbGGgoqDrH:',
        '    allow: {block: }',
        '    authorized_keys: [edpkud8oWEmsioAfxyFt45aP3tXncZGKQMJMg3aRwStxwLFNGfFKeu]',
        'vaults: {kms: {driver: awskms}}',
      ].join('\n'),
      { env },
    );
    expect(c.warnings).toEqual([
      'signatory.yaml:6:5: tezos.tz1c8PEDNfj6UxoQM2XCyfTHM5KbGGgoqDrH.authorized_keys: edpkud8oWEmsioAfxyFt45aP3tXncZGKQMJMg3aRwStxwLFNGfFKeu is not in server.authorized_keys, so it can never authenticate (a client key must be in both lists)',
    ]);
  });

  test('legacy allowed_kinds without generic warns that it has no effect', () => {
    const c = parseConfig(
      withVault('tezos:\n  tz1c8PEDNfj6UxoQM2XCyfTHM5KbGGgoqDrH:\n    allowed_operations: [block]\n    allowed_kinds: [transaction]'),
      { env },
    );
    expect(c.tezos.get('tz1c8PEDNfj6UxoQM2XCyfTHM5KbGGgoqDrH')).toMatchObject({
      allowedRequests: ['block'],
      allowedOperations: ['transaction'],
    });
    expect(c.warnings).toEqual([
      'signatory.yaml:4:5: tezos.tz1c8PEDNfj6UxoQM2XCyfTHM5KbGGgoqDrH.allowed_kinds: has no effect: allowed_operations does not include generic, so no generic request is signed',
      'signatory.yaml:2:3: tezos.tz1c8PEDNfj6UxoQM2XCyfTHM5KbGGgoqDrH: uses deprecated allowed_operations, allowed_kinds; write instead:\n' +
        '  allow:\n    block:\n    # generic is not allowed, so these operation kinds had no effect: transaction',
    ]);
  });

  test('baseDirOverride replaces base_dir, and the file value is then not expanded', () => {
    const c = parseConfig(withVault('base_dir: ${UNSET_DIR}/x'), { env, baseDirOverride: '/override' });
    expect(c.baseDir).toBe('/override');
  });
});

describe('YAML features', () => {
  test('anchors and merge keys share one policy between keys, as with Go yaml.v3', () => {
    const c = parseConfig(
      [
        'x-policies: &baker',
        '  allow: {block: , attestation: }',
        'tezos:',
        '  tz1c8PEDNfj6UxoQM2XCyfTHM5KbGGgoqDrH: *baker',
        '  tz1RmNmuNm9ygsA17RBzX38GJWG3Bex5U9UT:',
        '    <<: *baker',
        '    log_payloads: true',
        'vaults: {kms: {driver: awskms}}',
      ].join('\n'),
      { env },
    );
    const policy = {
      allowedRequests: ['attestation', 'block'],
      allowedOperations: [],
      allowProofOfPossession: false,
      logPayloads: false,
    };
    expect(c.tezos.get('tz1c8PEDNfj6UxoQM2XCyfTHM5KbGGgoqDrH')).toEqual(policy);
    expect(c.tezos.get('tz1RmNmuNm9ygsA17RBzX38GJWG3Bex5U9UT')).toEqual({ ...policy, logPayloads: true });
  });

  test('an alias bomb is refused', () => {
    const lines = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 10; i++)
      lines.push(
        `${'abcdefghij'[i]}: &${'abcdefghij'[i]} [${Array(10)
          .fill('*' + 'abcdefghij'[i - 1])
          .join(', ')}]`,
      );
    expect(() => parseConfig(lines.join('\n'), { env })).toThrow(
      'signatory.yaml: the document expands to more than 100000 values (aliases nested inside aliases?)',
    );
  });

  test('keys that only differ in case are distinct, and unknown keys are still reported', () => {
    expect(() => parseConfig('Server:\n  address: ":1"\n', { env })).toThrow(
      'signatory.yaml:1:1: Server: unknown key "Server" (did you mean "server"?)',
    );
  });
});

test('a file saved with a byte-order mark and CRLF line endings loads, with right positions', () => {
  const text = '\ufefftezos:\r\n  tz1c8PEDNfj6UxoQM2XCyfTHM5KbGGgoqDrH:\r\n    allow: {blok: }\r\n';
  expect(() => parseConfig(text, { env })).toThrow(
    'signatory.yaml:3:13: tezos.tz1c8PEDNfj6UxoQM2XCyfTHM5KbGGgoqDrH.allow.blok: unknown request kind "blok" (did you mean "block"?)',
  );
  expect(
    parseConfig(withVault(text.replace('blok', 'block')), { env }).tezos.get('tz1c8PEDNfj6UxoQM2XCyfTHM5KbGGgoqDrH')?.allowedRequests,
  ).toEqual(['block']);
});

describe('a config that can sign nothing', () => {
  const refused = (yaml: string) => () => parseConfig(yaml, { env });
  const NO_VAULT =
    'no vault is configured, so the signer would have no key to sign with: add one under "vaults:" (driver awskms; see docs/configuration.md)';

  test.each([
    ['an empty file', ''],
    ['a file of comments', '# signatory.yaml\n\n# to do\n'],
    ['an empty document', '---\n'],
    ['a file holding null', '~\n'],
  ])('%s is refused, saying what to add', (_what, yaml) => {
    expect(refused(yaml)).toThrow(
      /^signatory\.yaml(:1:1)?: the config is empty, so the signer would have no key to sign with: add a vault under "vaults:" and the keys it may sign with under "tezos:" \(see docs\/configuration\.md\)$/,
    );
  });

  test('no vaults: key is refused', () => {
    expect(refused('server:\n  address: 127.0.0.1:6732\ntezos:\n  tz1c8PEDNfj6UxoQM2XCyfTHM5KbGGgoqDrH:\n')).toThrow(
      `signatory.yaml:1:1: ${NO_VAULT}`,
    );
  });

  test.each([
    ['empty', 'vaults:\n'],
    ['an empty mapping', 'vaults: {}\n'],
  ])('vaults: that is %s is refused', (_what, vaults) => {
    expect(refused(`base_dir: /tmp/x\n${vaults}`)).toThrow(`signatory.yaml:2:1: vaults: ${NO_VAULT}`);
  });

  test('another problem is reported alone (a misspelt vaults: is not also reported as missing)', () => {
    expect(refused('vault:\n  kms: {driver: awskms}\n')).toThrow(
      new ConfigError('signatory.yaml', ['signatory.yaml:1:1: vault: unknown key "vault" (did you mean "vaults"?)']),
    );
  });

  test.each([
    ['no tezos: key', '', 'signatory.yaml:1:1'],
    ['an empty tezos:', 'tezos:\n', 'signatory.yaml:2:1: tezos'],
  ])('vaults with %s load, with a warning that every request will be refused', (_what, tezos, where) => {
    const c = parseConfig(`vaults: {kms: {driver: awskms}}\n${tezos}`, { env });
    expect(c.vaults.size).toBe(1);
    expect(c.warnings).toEqual([
      `${where}: no key is listed under "tezos:", so every signing request will be refused: add the pkh of each key the signer may use, with its policy (see docs/configuration.md)`,
    ]);
  });
});
