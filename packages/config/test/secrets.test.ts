import { ConfigError, parseConfig } from '@signatory-ts/config';

/** Secret-looking values planted in broken configs; none may appear in any message. */
const SECRETS = {
  ak: 'AKIASECRETACCESSKEY9',
  sk: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRETKEY',
  st: 'FwoGZXIvYXdzSESSIONTOKENSECRET',
  pw: 'hunter2-weak',
  jwtSecret: 'not-complex-enough-secret-value-xyz',
  newPw: 'Same-Password-Twice-1!',
};

const CONFIGS: [string, string][] = [
  [
    'awskms config errors around secrets',
    `vaults:
  kms:
    driver: awskms
    config:
      access_key_id: ${SECRETS.ak}
      secret_access_key: ${SECRETS.sk}
      session_token: ${SECRETS.st}
      endpoint: ${SECRETS.sk}
      regoin: x
`,
  ],
  [
    'wrong types for secrets',
    `vaults:
  kms:
    driver: awskms
    config:
      secret_access_key: [${SECRETS.sk}]
      session_token: {x: ${SECRETS.st}}
`,
  ],
  [
    'weak and repeated jwt credentials',
    `server:
  jwt:
    users:
      alice:
        password: ${SECRETS.pw}
        secret: ${SECRETS.jwtSecret}
        new_data:
          password: ${SECRETS.pw}
          secret: ${SECRETS.jwtSecret}
`,
  ],
  [
    'a YAML syntax error on the line holding a secret',
    `vaults:
  kms:
    driver: awskms
    config:
      secret_access_key: "${SECRETS.sk}
      region: x
`,
  ],
  [
    'a YAML error right after a secret',
    `vaults:\n  kms:\n    config:\n      secret_access_key: ${SECRETS.sk}\n     bad: [\n`,
  ],
  [
    'a malformed env reference inside a secret',
    `vaults:\n  kms:\n    driver: awskms\n    config:\n      access_key_id: a\n      secret_access_key: ${SECRETS.sk}\${\n`,
  ],
  [
    'jwt password duplicated in new_data',
    `server:
  jwt:
    users:
      alice:
        password: ${SECRETS.newPw}
        secret: Zk3!mQ9#vR2$wT7%yU4^aB8&cD1*eF5(
        new_data:
          password: ${SECRETS.newPw}
          secret: Zk3!mQ9#vR2$wT7%yU4^aB8&cD1*eF5(
`,
  ],
];

test.each(CONFIGS)('no secret value appears in the error for %s', (_what, yaml) => {
  let error: unknown;
  try {
    parseConfig(yaml, { env: {} });
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(ConfigError);
  const text = [(error as Error).message, String(error), JSON.stringify(error), (error as Error).stack ?? ''].join('\n');
  for (const secret of Object.values(SECRETS)) {
    expect(text).not.toContain(secret);
    expect(text).not.toContain(secret.slice(0, 12));
  }
});

test('the weak-credential messages say what is missing instead', () => {
  expect(() => parseConfig(CONFIGS[2]![1], { env: {} })).toThrow(
    [
      'signatory.yaml:5:9: server.jwt.users.alice.password: is too weak: needs at least 16 characters, an upper-case letter',
      'signatory.yaml:6:9: server.jwt.users.alice.secret: is too weak: needs an upper-case letter, a digit',
      'signatory.yaml:8:11: server.jwt.users.alice.new_data.password: is too weak: needs at least 16 characters, an upper-case letter',
      'signatory.yaml:8:11: server.jwt.users.alice.new_data.password: must differ from the current password',
      'signatory.yaml:9:11: server.jwt.users.alice.new_data.secret: is too weak: needs an upper-case letter, a digit',
      'signatory.yaml:9:11: server.jwt.users.alice.new_data.secret: must differ from the current secret',
    ].join('\n'),
  );
});
