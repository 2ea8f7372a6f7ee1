import { parseConfig } from '@signatory-ts/config';
import { configError } from './config-error';

const TZ1 = 'tz1c8PEDNfj6UxoQM2XCyfTHM5KbGGgoqDrH';
const base = `vaults: {kms: {driver: awskms}}\ntezos:\n  ${TZ1}:\n`;
const parse = (watermark: string, env: Record<string, string> = {}) => parseConfig(`${base}${watermark}`, { env });

const errorOf = (watermark: string): string => configError(() => parse(watermark)).message;

describe('watermark: driver: aws', () => {
  it('fills in Go Signatory defaults: table "watermark", table created when missing, 1.5 s per call', () => {
    expect(parse('watermark: {driver: aws}\n').watermark).toEqual({
      driver: 'aws',
      config: { table: 'watermark', createTable: true, timeoutMs: 1500 },
    });
  });

  it("reads Go Signatory's keys and ours, with ${VAR} substitution for secrets", () => {
    const yaml = [
      'watermark:',
      '  driver: aws',
      '  config:',
      '    region: eu-west-1',
      '    table: baker-marks',
      '    access_key_id: AKIAEXAMPLE',
      '    secret_access_key: ${DDB_SECRET}',
      '    session_token: token',
      '    endpoint: http://127.0.0.1:4567',
      '    create_table: false',
      '    timeout_ms: 750',
      '',
    ].join('\n');
    expect(parse(yaml, { DDB_SECRET: 's3cr3t' }).watermark).toEqual({
      driver: 'aws',
      config: {
        region: 'eu-west-1',
        table: 'baker-marks',
        accessKeyId: 'AKIAEXAMPLE',
        secretAccessKey: 's3cr3t',
        sessionToken: 'token',
        endpoint: 'http://127.0.0.1:4567',
        createTable: false,
        timeoutMs: 750,
      },
    });
  });

  it.each([
    [
      'an endpoint without a scheme',
      'watermark: {driver: aws, config: {endpoint: "localhost:8000"}}\n',
      'watermark.config.endpoint: is not a URL (expected http://host:port/path or https://…; a bare host:port needs http:// in front)',
    ],
    [
      'a table name DynamoDB would refuse',
      'watermark: {driver: aws, config: {table: "my marks"}}\n',
      'watermark.config.table: "my marks" is not a DynamoDB table name (3 to 255 characters: letters, digits, _ . -)',
    ],
    [
      'a secret key without its access key id',
      'watermark: {driver: aws, config: {secret_access_key: x}}\n',
      'watermark.config: access_key_id and secret_access_key go together: set both or neither',
    ],
    [
      'a session token without keys',
      'watermark: {driver: aws, config: {session_token: x}}\n',
      'watermark.config.session_token: needs access_key_id and secret_access_key',
    ],
    [
      'a misspelt key',
      'watermark: {driver: aws, config: {regoin: eu-west-1}}\n',
      'watermark.config.regoin: unknown key "regoin" (did you mean "region"?)',
    ],
    ['a timeout of zero', 'watermark: {driver: aws, config: {timeout_ms: 0}}\n', 'watermark.config.timeout_ms: must be at least 1'],
    ['create_table as a string', 'watermark: {driver: aws, config: {create_table: "no"}}\n', 'watermark.config.create_table: expected'],
  ])('refuses %s, naming the key', (_what, yaml, message) => {
    expect(errorOf(yaml)).toContain(message);
  });

  it('never puts a secret into an error message', () => {
    const message = errorOf('watermark: {driver: aws, config: {secret_access_key: "Very-Secret-Value", endpoint: "nope"}}\n');
    expect(message).toContain('watermark.config.endpoint');
    expect(message).not.toContain('Very-Secret-Value');
  });
});
