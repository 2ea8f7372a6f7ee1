import { isSignatoryError, type SignatoryError } from '@signatory-ts/core';
import { parseConfig } from '@signatory-ts/config';

const PW = 'Correct-Horse-Battery-1';
const SECRET = 'Zk3!mQ9#vR2$wT7%yU4^aB8&cD1*eF5(';

const VAULT = 'vaults: {kms: {driver: awskms}}\n';

function failure(yaml: string): SignatoryError {
  try {
    parseConfig(yaml.startsWith(VAULT) ? yaml : VAULT + yaml, { env: {}, file: 'signatory.yaml' });
  } catch (e) {
    if (isSignatoryError(e)) return e;
    throw e;
  }
  throw new Error('config loaded');
}

const user = (fields: string) => `${VAULT}server:\n  jwt:\n    users:\n      alice: {${fields}}\n`;

describe('server.jwt start-up checks as Go Signatory does them', () => {
  test('jwt_exp 0 means the default 60 minutes, as in Go', () => {
    const c = parseConfig(user(`password: "${PW}", secret: "${SECRET}", jwt_exp: 0`), { env: {} });
    expect(c.server.jwt?.users.get('alice')?.expMinutes).toBe(60);
  });

  test('a space is a special character (Go: any printable ASCII that is not a letter or digit)', () => {
    const c = parseConfig(user(`password: "Correct Horse Battery1", secret: "Zk3 mQ9 vR2 wT7 yU4 aB8 cD1 eF5 x"`), { env: {} });
    expect(c.server.jwt?.users.get('alice')?.password).toBe('Correct Horse Battery1');
  });

  test('lengths count UTF-8 bytes as Go does: 8 two-byte letters and the classes reach 16', () => {
    // "éééééééé" is 16 bytes; with A, a, 1 and ! the password passes Go's len() >= 16
    const c = parseConfig(user(`password: "éééééééAa1!", secret: "${SECRET}"`), { env: {} });
    expect(c.server.jwt?.users.get('alice')?.password).toBe('éééééééAa1!');
    expect(failure(user(`password: "ééééAa1!", secret: "${SECRET}"`)).message).toContain('needs at least 16 characters');
  });

  test.each([
    ['2024-02-30 00:00:00', 'Feb 30'],
    ['2023-02-29 12:00:00', 'Feb 29 in a common year'],
    ['2024-04-31 00:00:00', 'Apr 31'],
    ['2024-01-01 24:00:00', 'hour 24'],
    ['2024-01-01T00:00:00', 'ISO T separator'],
  ])('old_cred_exp %s (%s) is refused, not rolled over', (when) => {
    const e = failure(
      user(
        `password: "${PW}", secret: "${SECRET}", old_cred_exp: "${when}", new_data: {password: "Another-Horse-Battery-2", secret: "Qp4!nW8#xE3$rT6%yU1^iO7&pA2*sD9("}`,
      ),
    );
    expect(e.message).toContain('server.jwt.users.alice.old_cred_exp: expected a UTC time "YYYY-MM-DD hh:mm:ss"');
  });

  test('a leap day in a leap year loads', () => {
    const c = parseConfig(
      user(
        `password: "${PW}", secret: "${SECRET}", old_cred_exp: "2028-02-29 23:59:59", new_data: {password: "Another-Horse-Battery-2", secret: "Qp4!nW8#xE3$rT6%yU1^iO7&pA2*sD9("}`,
      ),
      { env: {} },
    );
    expect(c.server.jwt?.users.get('alice')?.oldCredExp).toEqual(new Date('2028-02-29T23:59:59Z'));
  });
});

describe('server.tls and server.utility_tls', () => {
  test('load with defaults', () => {
    const c = parseConfig(
      `${VAULT}server:\n  tls:\n    cert_file: /etc/s/server.crt\n    key_file: /etc/s/server.key\n  utility_tls:\n    cert_file: u.crt\n    key_file: u.key\n    key_passphrase: pass-Word\n    client_ca_file: ca.pem\n    min_version: TLSv1.3\n`,
      { env: {} },
    );
    expect(c.server.tls).toEqual({ certFile: '/etc/s/server.crt', keyFile: '/etc/s/server.key', minVersion: 'TLSv1.2' });
    expect(c.server.utilityTls).toEqual({
      certFile: 'u.crt',
      keyFile: 'u.key',
      keyPassphrase: 'pass-Word',
      clientCaFile: 'ca.pem',
      minVersion: 'TLSv1.3',
    });
  });

  test('absent: plain HTTP, nothing set', () => {
    const c = parseConfig(VAULT + 'server:\n  address: 127.0.0.1:6732\n', { env: {} });
    expect(c.server.tls).toBeUndefined();
    expect(c.server.utilityTls).toBeUndefined();
  });

  test.each([
    ['no key_file', 'server:\n  tls:\n    cert_file: a.crt\n', 'server.tls'],
    [
      'an unknown version',
      'server:\n  tls:\n    cert_file: a.crt\n    key_file: a.key\n    min_version: TLSv1.1\n',
      'server.tls.min_version',
    ],
    ['a typo', 'server:\n  tls:\n    cert_file: a.crt\n    key_file: a.key\n    client_ca: c.pem\n', 'server.tls.client_ca'],
  ])('%s is refused, naming the path', (_name, yaml, path) => {
    const e = failure(yaml);
    expect(e.code).toBe('config_invalid');
    expect(e.message).toContain(`signatory.yaml:`);
    expect(e.message).toContain(`${path}`);
  });

  test('the key passphrase never appears in an error', () => {
    const e = failure('server:\n  tls:\n    cert_file: a.crt\n    key_file: a.key\n    key_passphrase: [Very-Secret-Passphrase-9]\n');
    expect(e.message).toContain('server.tls.key_passphrase');
    expect(e.message).not.toContain('Very-Secret-Passphrase-9');
  });
});
