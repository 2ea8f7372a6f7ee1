import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig, parseConfig } from '@signatory-ts/config';

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
  ['a YAML error right after a secret', `vaults:\n  kms:\n    config:\n      secret_access_key: ${SECRETS.sk}\n     bad: [\n`],
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

/**
 * Every kind of YAML error js-yaml can be made to raise around a secret-looking token T. Some of
 * its messages quote the file (alias names, tags, tag handles) and its snippet shows the line:
 * the error must give only the file, line, column and a fixed wording.
 */
const T = 'AbCdS3cr3tT0k3nXyZ';
const SK = (value: string) =>
  `vaults:\n  kms:\n    driver: awskms\n    config:\n      region: eu-west-1\n      secret_access_key: ${value}\n`;
const YAML_ERRORS: [string, string, RegExp][] = [
  ['an unquoted secret starting with * (an alias)', SK(`*${T}`), /:6:\d+: invalid YAML: a "\*" starts an alias .* put it in quotes$/],
  ['an alias used before its anchor', `a: *${T}\nb: &${T} x\n`, /:1:\d+: invalid YAML: a "\*" starts an alias/],
  ['an unquoted secret starting with ! (a local tag)', SK(`!${T} x`), /:6:26: invalid YAML: a "!" starts a tag .* put it in quotes$/],
  ['a secret starting with !! (an unknown standard tag)', SK(`!!${T} x`), /:6:26: invalid YAML: a "!" starts a tag/],
  ['a verbatim tag', SK(`!<${T}> x`), /:6:26: invalid YAML: a "!" starts a tag/],
  ['an undeclared named tag handle', SK(`!${T}!x y`), /:6:\d+: invalid YAML: a "!" starts a tag/],
  ['a tag declared by %TAG', `%TAG !e! tag:${T}:\n---\n${SK(`!e!x y`)}`, /:8:26: invalid YAML: a "!" starts a tag/],
  [
    'a %TAG handle declared twice',
    `%TAG !a! ${T}\n%TAG !a! ${T}\n---\na: 1\n`,
    /:3:1: invalid YAML: a %TAG directive declares a tag handle that is already declared$/,
  ],
  ['a tag with a flow indicator', SK(`!${T}{ y`), /:6:\d+: invalid YAML: tag suffix cannot contain flow indicator characters$/],
  ['a value that does not fit its standard tag', SK(`!!int ${T}`), /:6:26: invalid YAML: the value does not fit its explicit tag/],
  ['two anchors on one node', SK(`&${T} &${T}x y`), /:6:\d+: invalid YAML: duplication of an anchor property$/],
  ['an alias with properties', `a: &x 1\nb: !!str *${T}\n`, /:2:\d+: invalid YAML: alias node should not have any properties$/],
  ['a duplicate key', `${SK(T)}      secret_access_key: ${T}\n`, /:7:7: invalid YAML: duplicated mapping key$/],
  ['a duplicate key named by the secret', `a:\n  ${T}: 1\n  ${T}: 2\n`, /:3:3: invalid YAML: duplicated mapping key$/],
  ['an unterminated double quote', SK(`"${T}`), /:7:1: invalid YAML: /],
  ['an unterminated single quote', SK(`'${T}`), /:7:1: invalid YAML: /],
  ['a bad escape in a double-quoted secret', SK(`"${T}\\q"`), /:6:\d+: invalid YAML: unknown escape sequence$/],
  ['a bad indentation after the secret', `${SK(T)}     region: x\n`, /:7:\d+: invalid YAML: bad indentation of a mapping entry$/],
  ['a tab in the indentation', `a:\t${T}\n\tb: 1\n`, /:2:1: invalid YAML: tab characters must not be used in indentation$/],
  ['an unclosed flow list', SK(`[${T}`), /:7:1: invalid YAML: deficient indentation$/],
  ['a second colon on the line', SK(`${T}: x`), /:6:\d+: invalid YAML: bad indentation of a mapping entry$/],
  ['the secret pasted on a line of its own', `${SK('')}${T}\n`, /:8:1: invalid YAML: /],
  ['a bad merge', `<<: ${T}\n`, /:1:1: invalid YAML: cannot merge mappings/],
  ['a bad %YAML directive', `%YAML ${T}\n---\na: 1\n`, /:2:1: invalid YAML: ill-formed argument of the YAML directive$/],
  ['a block scalar header', SK(`|${T}\n  x`), /:6:\d+: invalid YAML: /],
];

describe.each(YAML_ERRORS)('a YAML error never quotes the file: %s', (_what, yaml, expected) => {
  const check = (error: unknown) => {
    expect(error).toBeInstanceOf(ConfigError);
    const e = error as ConfigError;
    const text = [e.message, String(e), JSON.stringify(e), e.stack ?? '', String(e.cause ?? '')].join('\n');
    expect(text).not.toContain(T);
    expect(text).not.toContain(T.slice(0, 8));
    expect(e.problems).toHaveLength(1);
    expect(e.problems[0]).toMatch(expected);
    expect(e.cause).toBeUndefined();
  };

  test('parseConfig', () => {
    let error: unknown;
    try {
      parseConfig(yaml, { env: {} });
    } catch (e) {
      error = e;
    }
    check(error);
    expect((error as ConfigError).problems[0]).toMatch(/^signatory\.yaml:\d+:\d+: invalid YAML: /);
  });

  test('loadConfig of a real file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'signatory-yaml-'));
    try {
      const file = join(dir, 'signatory.yaml');
      await writeFile(file, yaml, 'utf8');
      const error = await loadConfig(file, { env: {} }).then(
        () => undefined,
        (e: unknown) => e,
      );
      check(error);
      expect((error as ConfigError).problems[0]!.startsWith(`${file}:`)).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
