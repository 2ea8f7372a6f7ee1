import { parseConfig, substituteEnv } from '@signatory-ts/config';

const TZ1 = 'tz1c8PEDNfj6UxoQM2XCyfTHM5KbGGgoqDrH';
const vault = (config: string) => `vaults:\n  kms:\n    driver: awskms\n    config:\n${config}`;

describe('${VAR} substitution', () => {
  test('set variables are substituted in every string value, including inside longer strings', () => {
    const c = parseConfig(
      vault('      region: ${REGION}\n      endpoint: http://${KMS_HOST}:4599/\n      keys: ["alias/${ALIAS}"]\n') +
        'server:\n  address: ${BIND}:6732\n',
      { env: { REGION: 'eu-west-3', KMS_HOST: '127.0.0.1', ALIAS: 'baker', BIND: '10.0.0.5' } },
    );
    expect(c.vaults.get('kms')?.config).toEqual({
      region: 'eu-west-3',
      endpoint: 'http://127.0.0.1:4599/',
      keys: ['alias/baker'],
    });
    expect(c.server.address).toBe('10.0.0.5:6732');
  });

  test('secrets can come from the environment', () => {
    const c = parseConfig(vault('      access_key_id: ${AK}\n      secret_access_key: ${SK}\n'), {
      env: { AK: 'AKIAFROMENV', SK: 'from/env+secret' },
    });
    expect(c.vaults.get('kms')?.config).toEqual({ accessKeyId: 'AKIAFROMENV', secretAccessKey: 'from/env+secret' });
  });

  test('a variable set to the empty string substitutes empty (and the empty value is then checked)', () => {
    expect(() => parseConfig(vault('      region: ${REGION}\n'), { env: { REGION: '' } })).toThrow(
      'signatory.yaml:5:7: vaults.kms.config.region: must not be empty',
    );
  });

  test('every unset variable is named with its path, all in one error', () => {
    expect(() =>
      parseConfig(vault('      region: ${REGION}\n      access_key_id: ${AK}${MISSING_TOO}\n      secret_access_key: x\n'), { env: {} }),
    ).toThrow(
      [
        'signatory.yaml:5:7: vaults.kms.config.region: environment variable REGION is not set',
        'signatory.yaml:6:7: vaults.kms.config.access_key_id: environment variable AK is not set',
        'signatory.yaml:6:7: vaults.kms.config.access_key_id: environment variable MISSING_TOO is not set',
      ].join('\n'),
    );
  });

  test('bare $VAR is expanded in base_dir only (Go Signatory compatibility)', () => {
    const c = parseConfig('base_dir: $HOME/signatory\nvaults: {kms: {driver: awskms}}\n', { env: { HOME: '/home/baker' } });
    expect(c.baseDir).toBe('/home/baker/signatory');
    expect(() => parseConfig('base_dir: $NOPE/x\n', { env: {} })).toThrow(
      'signatory.yaml:1:1: base_dir: environment variable NOPE is not set',
    );
  });

  test('a bare $ elsewhere stays literal, so passwords and secrets may contain $', () => {
    const c = parseConfig(
      'server:\n  jwt:\n    users:\n      alice:\n        password: Pa$word-Very-Long-1\n        secret: S$cret!Zk3mQ9vR2wT7yU4aB8cD1eF5xx\nvaults: {kms: {driver: awskms}}\n',
      { env: { word: 'x', cret: 'y' } },
    );
    expect(c.server.jwt?.users.get('alice')).toMatchObject({
      password: 'Pa$word-Very-Long-1',
      secret: 'S$cret!Zk3mQ9vR2wT7yU4aB8cD1eF5xx',
    });
  });

  test('$$ is a literal $, so a literal ${ can be written', () => {
    const c = parseConfig(vault('      region: $${NOT_A_VAR}$$\n'), { env: {} });
    expect(c.vaults.get('kms')?.config.region).toBe('${NOT_A_VAR}$');
  });

  test('a malformed reference is an error that does not echo the value', () => {
    expect(() => parseConfig(vault('      secret_access_key: abc${oops\n      access_key_id: a\n'), { env: {} })).toThrow(
      'signatory.yaml:5:7: vaults.kms.config.secret_access_key: malformed ${...} reference: write ${NAME} with NAME made of letters, digits and _ (or $$ for a literal $)',
    );
  });

  test('mapping keys are not substituted', () => {
    expect(() => parseConfig(`tezos:\n  \${PKH}:\n`, { env: { PKH: TZ1 } })).toThrow(
      'signatory.yaml:2:3: tezos["${PKH}"]: "${PKH}" is not a public key hash',
    );
  });

  test('numbers and booleans are left alone; substituted values are strings', () => {
    const { value, issues } = substituteEnv({ a: 1, b: true, c: null, d: ['${X}'] }, { X: '2' }, () => false);
    expect(issues).toEqual([]);
    expect(value).toEqual({ a: 1, b: true, c: null, d: ['2'] });
  });

  test('process.env is the default source', () => {
    process.env.SIGNATORY_TS_CONFIG_TEST_REGION = 'ap-south-1';
    try {
      expect(parseConfig(vault('      region: ${SIGNATORY_TS_CONFIG_TEST_REGION}\n')).vaults.get('kms')?.config.region).toBe('ap-south-1');
    } finally {
      delete process.env.SIGNATORY_TS_CONFIG_TEST_REGION;
    }
  });
});
