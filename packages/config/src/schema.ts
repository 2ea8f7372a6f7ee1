/**
 * signatory.yaml's shape as JSON Schema (draft 2020-12 subset ajv 8 runs). It checks structure
 * only: which keys exist, their types, which are required. Values with meaning (pkhs, public keys,
 * chain ids, kinds, addresses, URLs, driver names) are checked in code, where the error can say
 * what was expected and suggest a fix. Every object rejects unknown keys (Go Signatory silently
 * ignores them, so a typo such as `allowed_chain:` used to remove a restriction without a word).
 */

const str = { type: 'string' } as const;
const nonEmptyStr = { type: 'string', minLength: 1 } as const;
const bool = { type: 'boolean' } as const;
const stringList = { type: 'array', items: str } as const;

/** A public key, or a list of public keys and lists (Go Signatory flattens nested lists). */
const publicKeys = { $ref: '#/$defs/publicKeys' } as const;

const jwtCredentials = {
  type: 'object',
  additionalProperties: false,
  required: ['password', 'secret'],
  properties: {
    password: str,
    secret: str,
    // minutes; 0 means the default 60, as in Go
    jwt_exp: { type: 'integer', minimum: 0 },
  },
} as const;

/** `server.tls` / `server.utility_tls` (not in Go Signatory, which serves plain HTTP and ignores these keys). */
const tls = {
  type: 'object',
  additionalProperties: false,
  required: ['cert_file', 'key_file'],
  properties: {
    cert_file: nonEmptyStr,
    key_file: nonEmptyStr,
    key_passphrase: str,
    client_ca_file: nonEmptyStr,
    min_version: { enum: ['TLSv1.2', 'TLSv1.3'] },
  },
} as const;

/** Mutez (a whole number) or a string such as `12.5tz` or `500000mutez`; the value is checked in code (key-limits.ts). */
const amount = { type: ['string', 'number'] } as const;

const keyLimits = {
  type: 'object',
  additionalProperties: false,
  properties: {
    max_amount: amount,
    max_request_amount: amount,
    max_fee: amount,
    max_gas_limit: amount,
    max_storage_limit: amount,
    destinations: stringList,
    delegates: stringList,
    spend: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['window', 'amount'],
        properties: { window: str, amount },
      },
    },
  },
} as const;

const keyPolicy = {
  type: ['object', 'null'],
  additionalProperties: false,
  properties: {
    allow: {
      type: ['object', 'null'],
      additionalProperties: { type: ['array', 'null'], items: str },
    },
    allowed_operations: stringList,
    allowed_kinds: stringList,
    allowed_chains: stringList,
    allow_proof_of_possession: bool,
    log_payloads: bool,
    authorized_keys: publicKeys,
    jwt_users: stringList,
    limits: keyLimits,
  },
} as const;

export const CONFIG_SCHEMA = {
  $id: 'https://signatory-ts/signatory.yaml',
  type: 'object',
  additionalProperties: false,
  // Top-level `x-…` keys are ignored: a place for YAML anchors (`x-baker: &baker {...}`), as in
  // docker-compose files.
  patternProperties: { '^x-': {} },
  $defs: {
    publicKeys: { type: ['string', 'array'], items: { $ref: '#/$defs/publicKeys' } },
  },
  properties: {
    base_dir: nonEmptyStr,
    server: {
      type: ['object', 'null'],
      additionalProperties: false,
      properties: {
        address: str,
        utility_address: str,
        authorized_keys: publicKeys,
        tls,
        utility_tls: tls,
        jwt: {
          type: 'object',
          additionalProperties: false,
          required: ['users'],
          properties: {
            users: {
              type: 'object',
              minProperties: 1,
              additionalProperties: {
                ...jwtCredentials,
                properties: {
                  ...jwtCredentials.properties,
                  old_cred_exp: str,
                  new_data: jwtCredentials,
                },
              },
            },
          },
        },
      },
    },
    vaults: {
      type: ['object', 'null'],
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        required: ['driver'],
        // `config` is driver-specific and checked against the driver's own schema.
        properties: { driver: str, config: {} },
      },
    },
    tezos: { type: ['object', 'null'], additionalProperties: keyPolicy },
    policy_hook: {
      type: ['object', 'null'],
      additionalProperties: false,
      required: ['address'],
      // timeout_ms and ca_file are ours (Go waits for the hook as long as the client does, and trusts the system's CAs only)
      properties: {
        address: str,
        authorized_keys: publicKeys,
        timeout_ms: { type: 'integer', minimum: 1, maximum: 60000 },
        ca_file: nonEmptyStr,
      },
    },
    watermark: {
      type: ['object', 'null'],
      additionalProperties: false,
      required: ['driver'],
      properties: { driver: str, config: {} },
    },
  },
} as const;

/** A driver's `config:` mapping (`$id` ends in `name`): these keys only; empty or absent is allowed. */
const driverConfig = <P extends object>(name: string, properties: P) =>
  ({ $id: `https://signatory-ts/${name}`, type: ['object', 'null'], additionalProperties: false, properties }) as const;

/** Credentials, region and endpoint: the same keys for the KMS vault and the DynamoDB watermark store. */
const AWS_CONNECTION = {
  access_key_id: nonEmptyStr,
  secret_access_key: nonEmptyStr,
  session_token: nonEmptyStr,
  region: nonEmptyStr,
  endpoint: nonEmptyStr,
} as const;

/** `vaults.<name>.config` for `driver: awskms`. */
export const AWSKMS_CONFIG_SCHEMA = driverConfig('awskms-config', {
  ...AWS_CONNECTION,
  keys: { type: 'array', items: nonEmptyStr },
  // Accepted and ignored, as Go Signatory does since its PR #499 (its own test config still sets it).
  user_name: str,
});

/** `watermark.config` for `driver: aws` (DynamoDB). */
export const AWS_WATERMARK_CONFIG_SCHEMA = driverConfig('aws-watermark-config', {
  ...AWS_CONNECTION,
  table: nonEmptyStr,
  create_table: bool,
  timeout_ms: { type: 'integer', minimum: 1 },
});

/** `watermark.config` for `driver: postgres` (TS-only). Ranges are checked in watermark-postgres.ts. */
export const POSTGRES_WATERMARK_CONFIG_SCHEMA = driverConfig('postgres-watermark-config', {
  url: nonEmptyStr,
  password: nonEmptyStr,
  table: nonEmptyStr,
  ssl: {
    type: ['object', 'null'],
    additionalProperties: false,
    properties: { ca_file: nonEmptyStr },
  },
  create_table: bool,
  pool_max: { type: 'integer' },
  statement_timeout_ms: { type: 'integer' },
});
