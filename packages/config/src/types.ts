import type { RequestKind } from '@signatory-ts/core';

/**
 * The validated, normalised signatory.yaml. Field names are camelCase; every default is filled in,
 * every deprecated spelling is rewritten, and `warnings` says what was rewritten and how to write it.
 */
export interface Config {
  /** The file it came from, as given to loadConfig (or parseConfig's `file`). */
  readonly file: string;
  /** `base_dir` (or the override), `${VAR}`/`$VAR` expanded. Default {@link DEFAULT_BASE_DIR}. */
  readonly baseDir: string;
  readonly server: ServerConfig;
  /** `vaults`: vault name → driver config, in file order. */
  readonly vaults: ReadonlyMap<string, VaultConfig>;
  /**
   * `tezos`: pkh → policy, in file order. `null` means the key was listed with no value and gets
   * the default policy (core's DEFAULT_ALLOWED_REQUESTS, no generic operations). A mapping is the
   * whole policy: a mapping without `allow` allows nothing. A pkh absent from the map is inactive.
   */
  readonly tezos: ReadonlyMap<string, KeyPolicyConfig | null>;
  readonly policyHook?: PolicyHookConfig;
  readonly watermark: WatermarkConfig;
  /**
   * Things that load but deserve the operator's attention (deprecated names, with the YAML to
   * write instead; settings that have no effect). The library never logs: the app prints these.
   */
  readonly warnings: readonly string[];
}

export interface ServerConfig {
  /** Main (signing) listener, `host:port`. Default {@link DEFAULT_SERVER_ADDRESS}. */
  readonly address: string;
  /** Utility listener (health, metrics), `host:port`. Default {@link DEFAULT_UTILITY_ADDRESS}. */
  readonly utilityAddress: string;
  /**
   * Client public keys (edpk/sppk/p2pk/BLpk) allowed to authenticate requests, flattened from the
   * scalar-or-nested-list YAML form. Undefined when the key is absent: authentication is then off.
   */
  readonly authorizedKeys?: readonly string[];
  /** JWT login; never set together with `authorizedKeys`. */
  readonly jwt?: JwtConfig;
  /** `server.tls`: HTTPS on the signing listener (not in Go Signatory). Undefined: plain HTTP. */
  readonly tls?: TlsConfig;
  /** `server.utility_tls`: HTTPS on the utility listener (/metrics, /healthz). Undefined: plain HTTP. */
  readonly utilityTls?: TlsConfig;
}

/** A listener's TLS files. Paths are as written (relative ones from the working directory); the daemon reads them. */
export interface TlsConfig {
  /** PEM certificate chain, leaf first. */
  readonly certFile: string;
  /** PEM private key of the leaf certificate. */
  readonly keyFile: string;
  /** Passphrase of an encrypted key_file. A secret: never logged or shown. */
  readonly keyPassphrase?: string;
  /** PEM CA certificates client certificates must chain to; set, every client must present one (mTLS). */
  readonly clientCaFile?: string;
  /** Oldest TLS version accepted. Default TLSv1.2. */
  readonly minVersion: 'TLSv1.2' | 'TLSv1.3';
}

export interface JwtConfig {
  readonly users: ReadonlyMap<string, JwtUser>;
}

export interface JwtCredentials {
  readonly password: string;
  readonly secret: string;
  /** Token lifetime in minutes. Default {@link DEFAULT_JWT_EXP_MINUTES}. */
  readonly expMinutes: number;
}

export interface JwtUser extends JwtCredentials {
  /** When `newData` replaces the current credentials (`old_cred_exp`, UTC). Undefined: at start-up. */
  readonly oldCredExp?: Date;
  readonly newData?: JwtCredentials;
}

export type VaultConfig = AwsKmsVaultConfig;

export interface AwsKmsVaultConfig {
  readonly driver: 'awskms';
  readonly config: AwsKmsConfig;
}

/**
 * Credentials, region and endpoint: the same keys for the KMS vault and the DynamoDB watermark
 * store. Every field is optional: what is missing comes from the AWS SDK's usual chain
 * (environment, shared profile, web identity, container and instance roles).
 */
export interface AwsConnectionConfig {
  readonly accessKeyId?: string;
  readonly secretAccessKey?: string;
  readonly sessionToken?: string;
  /** Undefined: the SDK's chain (AWS_REGION, profile). */
  readonly region?: string;
  /** The service's endpoint URL (a local KMS or DynamoDB emulator in development). Not in Go Signatory. */
  readonly endpoint?: string;
}

/** `driver: awskms` settings: the AWS connection keys, and which keys to use. */
export interface AwsKmsConfig extends AwsConnectionConfig {
  /** Restrict the vault to these keys (ids, ARNs or `alias/...`). Undefined: every usable key. Not in Go Signatory. */
  readonly keys?: readonly string[];
}

export interface KeyPolicyConfig {
  /**
   * Request kinds this key may sign, sorted. Built from `allow` (or the legacy
   * `allowed_operations`), aliases rewritten. `generic` here is what lets generic requests through.
   */
  readonly allowedRequests: readonly RequestKind[];
  /**
   * Operation kinds allowed inside a generic request, sorted: names from core's OPERATION_KINDS and
   * PSEUDO_OPERATION_KINDS, or `ballot:yay|nay|pass`. Empty when generic is allowed with no list.
   */
  readonly allowedOperations: readonly string[];
  /** Chain ids (Net…) consensus requests must carry. Undefined: any chain. Never restricts generic or pack. */
  readonly allowedChains?: readonly string[];
  /** Per-key client keys (requires server.authorizedKeys). Undefined: any authenticated client. */
  readonly authorizedKeys?: readonly string[];
  /** JWT users allowed to use this key. Undefined: any logged-in user. */
  readonly jwtUsers?: readonly string[];
  readonly allowProofOfPossession: boolean;
  readonly logPayloads: boolean;
  /** `limits`: what a generic request may move, pay and reach (docs/policy.md). Undefined: no limits. */
  readonly limits?: KeyLimits;
}

/**
 * A key's `limits:`, checked and exact: amounts in mutez as bigint, never floating point. Every
 * field is optional; an absent one does not limit. They apply to generic requests only.
 */
export interface KeyLimits {
  /** Per operation: the tez a transaction sends to another account, or an origination's balance. */
  readonly maxAmount?: bigint;
  /** Per request: everything the request can take from the key (amounts, fees, storage burn). */
  readonly maxRequestAmount?: bigint;
  /** Per operation: the fee of each manager operation. */
  readonly maxFee?: bigint;
  /** Per operation: gas_limit. */
  readonly maxGasLimit?: bigint;
  /** Per operation: storage_limit, in bytes (it bounds the storage burn). */
  readonly maxStorageLimit?: bigint;
  /** Allowlist of where transactions (and tickets) may go. Undefined: anywhere. Empty: nowhere but the key itself. */
  readonly destinations?: readonly LimitDestination[];
  /** Allowlist of delegates (tz1…tz4) a delegation or origination may name. Undefined: any. */
  readonly delegates?: readonly string[];
  /** Caps over rolling windows, enforced by the signer on the spend ledger (packages/spend-ledger). */
  readonly spend?: readonly SpendCap[];
}

/** One `destinations` entry: `tz1…`, `KT1…` (entrypoint `default`) or `KT1…%entrypoint`. */
export interface LimitDestination {
  readonly address: string;
  /** The one entrypoint allowed; `default` when the entry names none (as a Michelson address does). */
  readonly entrypoint: string;
}

/** One `spend` entry: at most `amount` mutez leave the key in any `window`. */
export interface SpendCap {
  /** As written, trimmed (`24h`). */
  readonly window: string;
  readonly windowSeconds: number;
  readonly amount: bigint;
}

export interface PolicyHookConfig {
  /** Full URL the signer POSTs each request to. */
  readonly address: string;
  /** Keys whose signatures on hook replies are accepted. Undefined: replies are not signed. */
  readonly authorizedKeys?: readonly string[];
  /** `timeout_ms` (ours): the hook must answer within this many ms. Undefined: the hook's default. */
  readonly timeoutMs?: number;
  /** `ca_file` (ours): PEM bundle an https hook's certificate must chain to, for this hook only. Undefined: Node's default CAs. */
  readonly caFile?: string;
}

export type WatermarkConfig =
  | { readonly driver: 'file' }
  | { readonly driver: 'mem' }
  | { readonly driver: 'aws'; readonly config: AwsWatermarkConfig }
  | { readonly driver: 'postgres'; readonly postgres: PostgresWatermarkConfig };

/**
 * `watermark: driver: aws` settings: Go Signatory's keys (region, table and the AWS credentials)
 * plus `endpoint`, `create_table` and `timeout_ms`. Credentials left out come from the AWS SDK's
 * usual chain; those set here go to the DynamoDB client only, so they may differ from the vault's.
 */
export interface AwsWatermarkConfig extends AwsConnectionConfig {
  /** Table name. Default `watermark` (Go Signatory's). */
  readonly table: string;
  /** Create the table at start-up when it is missing (needs dynamodb:CreateTable). Default true. Not in Go Signatory. */
  readonly createTable: boolean;
  /** Time one DynamoDB call may take, retries included. Default 1500. Not in Go Signatory. */
  readonly timeoutMs: number;
}

/** `watermark.config` for `driver: postgres` (TS-only: Go Signatory has no such backend). */
export interface PostgresWatermarkConfig {
  /** `postgres://user@host:port/database[?…]`; undefined: the PG* environment variables (PGHOST, PGUSER, …). */
  readonly url?: string;
  /** Undefined: the URL's password, else PGPASSWORD, else none. */
  readonly password?: string;
  /** Table name, optionally schema-qualified (`schema.table`). Default `signatory_watermark`. */
  readonly table: string;
  /** TLS to the server; undefined: whatever the URL or PGSSLMODE says (plain by default). */
  readonly ssl?: { readonly caFile?: string };
  /** Create the table when it is missing (default true); false: require it, so a role with only SELECT/INSERT/UPDATE/DELETE works. */
  readonly createTable: boolean;
  /** Connections in the pool (default 10). */
  readonly poolMax: number;
  /** Server-side statement timeout and client-side query timeout, ms (default 2000). */
  readonly statementTimeoutMs: number;
}
