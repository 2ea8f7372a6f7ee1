/**
 * Defaults for keys signatory.yaml may leave out.
 *
 * Both listeners bind to loopback by default. Go Signatory defaults to `:6732` and `:9583`, which
 * listen on every interface: a signer reachable from the network by default is an exposure (the
 * signing endpoint has no authentication unless authorized_keys or jwt is configured). To serve
 * other hosts, set `server.address` explicitly, e.g. `0.0.0.0:6732` or `:6732`.
 */
export const DEFAULT_SERVER_ADDRESS = '127.0.0.1:6732';
export const DEFAULT_UTILITY_ADDRESS = '127.0.0.1:9583';
/** Same as Go Signatory. */
export const DEFAULT_BASE_DIR = '/var/lib/signatory';
/** JWT token lifetime in minutes when `jwt_exp` is absent (Go Signatory's default). */
export const DEFAULT_JWT_EXP_MINUTES = 60;
/** Vault drivers this build implements. */
export const SUPPORTED_VAULT_DRIVERS = ['awskms'] as const;
/** Go Signatory's other vault drivers: recognised by name so the error can say "not in this build". */
export const UNSUPPORTED_VAULT_DRIVERS = [
  'azure',
  'cloudkms',
  'confidentialspace',
  'file',
  'hashicorpvault',
  'ledger',
  'mem',
  'nitro',
  'pkcs11',
  'yubihsm',
] as const;
/** Watermark backends this build implements (`file` is the default). */
export const SUPPORTED_WATERMARK_DRIVERS = ['file', 'mem', 'aws', 'postgres'] as const;
/** Go Signatory's other watermark backends (Firestore). */
export const UNSUPPORTED_WATERMARK_DRIVERS = ['gcp'] as const;
/** `watermark: driver: aws` table when `table` is absent (Go Signatory's). */
export const DEFAULT_DYNAMODB_TABLE = 'watermark';
/**
 * Time one DynamoDB call of the watermark store may take, retries included (ms). A signing request usually makes
 * three rounds of calls (the reads, then one put per item), so 3 × 1.5 s plus the KMS deadline (5 s)
 * stays inside the request deadline (10 s).
 */
export const DEFAULT_DYNAMODB_TIMEOUT_MS = 1500;
