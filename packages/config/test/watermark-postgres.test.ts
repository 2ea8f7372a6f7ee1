import { parseConfig } from '@signatory-ts/config';
import { configError } from './config-error';

/** A config must name a vault; it goes last so the line numbers of the watermark section stay. */
const withVault = (yaml: string) => `${yaml}\nvaults: {kms: {driver: awskms}}\n`;
const SECRET = 'hunter2-very-secret';

const problemsOf = (yaml: string, env: Record<string, string> = {}): string[] => [
  ...configError(() => parseConfig(withVault(yaml), { env, file: 'signatory.yaml' })).problems,
];

describe('watermark driver postgres', () => {
  it('fills every default when config is empty (the PG* environment variables then say where the server is)', () => {
    const c = parseConfig(withVault('watermark: {driver: postgres}'), { env: {} });
    expect(c.watermark).toEqual({
      driver: 'postgres',
      postgres: { table: 'signatory_watermark', createTable: true, poolMax: 10, statementTimeoutMs: 2000 },
    });
    expect(c.warnings.filter((w) => w.includes('watermark'))).toEqual([]);
  });

  it('reads every key, with ${VAR} in the password', () => {
    const yaml = [
      'watermark:',
      '  driver: postgres',
      '  config:',
      '    url: postgresql://signatory@db.internal:5432/signatory',
      '    password: ${PG_PASSWORD}',
      '    table: wm.marks',
      '    ssl: {ca_file: /etc/ssl/db-ca.pem}',
      '    create_table: false',
      '    pool_max: 4',
      '    statement_timeout_ms: 1500',
    ].join('\n');
    const c = parseConfig(withVault(yaml), { env: { PG_PASSWORD: SECRET } });
    expect(c.watermark).toEqual({
      driver: 'postgres',
      postgres: {
        url: 'postgresql://signatory@db.internal:5432/signatory',
        password: SECRET,
        table: 'wm.marks',
        ssl: { caFile: '/etc/ssl/db-ca.pem' },
        createTable: false,
        poolMax: 4,
        statementTimeoutMs: 1500,
      },
    });
  });

  it('takes `ssl: {}` as TLS with the system CAs', () => {
    const c = parseConfig(withVault('watermark: {driver: postgres, config: {ssl: {}}}'), { env: {} });
    expect(c.watermark).toMatchObject({ postgres: { ssl: {} } });
  });

  it('warns when the URL holds the password, without quoting it', () => {
    const c = parseConfig(withVault(`watermark: {driver: postgres, config: {url: "postgres://u:${SECRET}@h/db"}}`), { env: {} });
    expect(c.warnings.filter((w) => w.includes('watermark'))).toEqual([
      'signatory.yaml:1:40: watermark.config.url: holds the password in plain text: move it to "password:" with an environment variable (password: ${PG_PASSWORD})',
    ]);
    expect(c.warnings.join('\n')).not.toContain(SECRET);
  });

  it.each([
    [
      'a URL that does not parse',
      'url: "db.internal:5432"',
      'watermark.config.url: must start with postgres:// or postgresql:// (got a db.internal:// URL)',
    ],
    [
      'not a URL at all',
      'url: "not a url"',
      'watermark.config.url: is not a URL: write postgres://USER@HOST:PORT/DATABASE (the password under "password:", e.g. password: ${PG_PASSWORD})',
    ],
    ['an http URL', 'url: "http://db.internal/"', 'watermark.config.url: must start with postgres:// or postgresql:// (got a http:// URL)'],
    [
      'a password in two places',
      `url: "postgres://u:${SECRET}@h/db", password: other`,
      'watermark.config.url: has a password and "password:" is set too: keep the password in "password:" only',
    ],
    [
      'TLS in two places',
      'url: "postgres://h/db?sslmode=verify-full", ssl: {ca_file: /ca.pem}',
      'watermark.config.ssl: TLS is set both here and in the URL (ssl…= parameters): set it in one place',
    ],
    [
      'a URL that turns the certificate check off',
      'url: "postgres://h/db?sslmode=no-verify"',
      'watermark.config.url: turns off the check of the server\'s certificate (sslmode=no-verify): a signer must know it talks to its database; give the CA under "ssl: {ca_file: …}" instead',
    ],
    [
      'libpq-compatible sslmode (require without a check)',
      'url: "postgres://h/db?sslmode=require&uselibpqcompat=true"',
      'watermark.config.url: turns off the check of the server\'s certificate (uselibpqcompat): a signer must know it talks to its database; give the CA under "ssl: {ca_file: …}" instead',
    ],
    [
      'a table name needing quotes',
      'table: "Marks; DROP TABLE x"',
      'watermark.config.table: must be a table name or schema.table of lowercase letters, digits and _ (at most 57 each, so that `<table>_spend` fits in the 63 PostgreSQL allows; not starting with a digit)',
    ],
    [
      'a table name of 58 characters (the spend ledger adds _spend: PostgreSQL would cut it to 63 and hit the watermark table)',
      `table: ${'t'.repeat(58)}`,
      'watermark.config.table: must be a table name or schema.table of lowercase letters, digits and _ (at most 57 each, so that `<table>_spend` fits in the 63 PostgreSQL allows; not starting with a digit)',
    ],
    [
      'a three-part table name',
      'table: a.b.c',
      'watermark.config.table: must be a table name or schema.table of lowercase letters, digits and _ (at most 57 each, so that `<table>_spend` fits in the 63 PostgreSQL allows; not starting with a digit)',
    ],
    [
      'no connections',
      'pool_max: 0',
      'watermark.config.pool_max: must be between 1 and 1000 (connections per signer process; mind the server’s max_connections)',
    ],
    [
      'a timeout too long for a request',
      'statement_timeout_ms: 600000',
      'watermark.config.statement_timeout_ms: must be between 100 and 60000 (ms; keep it well below the request deadline)',
    ],
    ['a string pool size', 'pool_max: "10"', 'watermark.config.pool_max: expected a whole number, got a string'],
    ['an unknown key, with a suggestion', 'tabel: x', 'watermark.config.tabel: unknown key "tabel" (did you mean "table"?)'],
    [
      'a TLS switch it does not have',
      'ssl: {reject_unauthorized: false}',
      'watermark.config.ssl.reject_unauthorized: unknown key "reject_unauthorized"; expected one of: ca_file',
    ],
  ])('refuses %s, naming the key and never the password', (_what, body, message) => {
    const problems = problemsOf(`watermark: {driver: postgres, config: {${body}}}`);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^signatory\.yaml:1:\d+: /);
    expect(problems[0]!.replace(/^signatory\.yaml:1:\d+: /, '')).toBe(message);
    expect(problems[0]).not.toContain(SECRET);
  });

  it('names an unset password variable without guessing a value', () => {
    expect(problemsOf('watermark: {driver: postgres, config: {password: "${PG_PASSWORD}"}}')).toEqual([
      expect.stringMatching(/watermark\.config\.password: .*PG_PASSWORD/),
    ]);
  });
});
