import { explainKmsFailure, isRetryable } from '../src/kms-failure';
import { unusableKeySpec } from '../src/key-spec';

const ctx = {
  operation: 'Sign',
  keyId: 'arn:aws:kms:eu-west-1:1:key/k',
  region: 'eu-west-1',
  endpoint: 'https://kms.eu-west-1.amazonaws.com',
};
const err = (name: string, message = 'm', extra: object = {}) => Object.assign(new Error(message), { name, ...extra });

describe('explainKmsFailure says what to fix', () => {
  it.each([
    ['AccessDeniedException', /lacks kms:Sign on arn:aws:kms:eu-west-1:1:key\/k; grant it in the key policy or IAM policy/],
    ['NotFoundException', /was not found in region eu-west-1: check the key id or alias, the region and the account/],
    ['DisabledException', /is disabled: enable it/],
    ['UnsupportedOperationException', /no public key \(a symmetric or HMAC key\)/],
    ['InvalidKeyUsageException', /not a SIGN_VERIFY key/],
    ['UnrecognizedClientException', /AWS rejected the credentials/],
    ['ExpiredTokenException', /AWS rejected the credentials: check .*session_token/],
    ['CredentialsProviderError', /no AWS credentials found/],
  ])('%s', (name, message) => {
    expect(explainKmsFailure(ctx, err(name))).toMatch(message);
  });

  it('names pending deletion and pending import states', () => {
    expect(explainKmsFailure(ctx, err('KMSInvalidStateException', 'key/k is pending deletion.'))).toMatch(/pending deletion: cancel it/);
    expect(explainKmsFailure(ctx, err('KMSInvalidStateException', 'KeyState PendingImport'))).toMatch(/waiting for its key material/);
  });

  it('names an unreachable endpoint and a missing region', () => {
    expect(explainKmsFailure(ctx, Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toMatch(
      /KMS endpoint https:\/\/kms.eu-west-1.amazonaws.com is unreachable/,
    );
    expect(explainKmsFailure(ctx, new Error('Region is missing'))).toMatch(/no AWS region: set region in the vault config or AWS_REGION/);
  });
});

describe('isRetryable', () => {
  it.each([
    ['ThrottlingException', true],
    ['DependencyTimeoutException', true],
    ['KMSInternalException', true],
    ['KeyUnavailableException', true],
    ['LimitExceededException', false], // a resource quota (e.g. too many aliases): retrying never helps
    ['DisabledException', false],
    ['AccessDeniedException', false],
    ['NotFoundException', false],
  ])('%s -> %s', (name, retry) => {
    expect(isRetryable(err(name))).toBe(retry);
  });

  it('retries 5xx answers and network failures', () => {
    expect(isRetryable(err('Whatever', 'm', { $metadata: { httpStatusCode: 502 } }))).toBe(true);
    expect(isRetryable(Object.assign(new Error('x'), { code: 'ECONNRESET' }))).toBe(true);
  });
});

describe('unusableKeySpec', () => {
  it.each([
    ['SYMMETRIC_DEFAULT', /symmetric encryption key/],
    ['HMAC_512', /HMAC key/],
    ['RSA_4096', /Tezos has no RSA accounts/],
    ['ECC_NIST_P384', /curve ECC_NIST_P384 is not one Tezos uses/],
    ['ML_DSA_44', /not supported/],
  ])('%s', (spec, message) => {
    expect(unusableKeySpec(spec)).toMatch(message);
    expect(unusableKeySpec(spec)).toMatch(/ECC_NIST_EDWARDS25519 \(tz1\), ECC_SECG_P256K1 \(tz2\) or ECC_NIST_P256 \(tz3\)/);
  });
});
