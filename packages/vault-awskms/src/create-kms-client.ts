import { KMSClient, type KMSClientConfig } from '@aws-sdk/client-kms';
import type { AwsKmsConfig } from '@signatory-ts/config';

export interface KmsClientOptions {
  /** TCP connect timeout (ms). Default 1000. */
  readonly connectionTimeoutMs?: number;
  /** Sockets the client may open to KMS (keep-alive pool; calls beyond it queue for a socket). Default 50. */
  readonly maxSockets?: number;
  /**
   * SDK attempts per call. Default 1: the vault retries itself (callWithRetry, bounded by its
   * deadline). Key management (create, import) passes more, for KMS's low per-second quotas
   * (GetParametersForImport 0.25/s, GetPublicKey 5/s).
   */
  readonly maxAttempts?: number;
}

/**
 * The SDK client for one `awskms` vault's settings, used by the vault and by key management.
 * Credentials in the config are passed to the client (never copied into the environment); what
 * the config leaves out comes from the SDK's usual chain. No request timeout: every vault call is
 * aborted by callWithRetry (attempt timeout / deadline).
 */
export function createKmsClient(config: AwsKmsConfig, options: KmsClientOptions = {}): KMSClient {
  const maxSockets = options.maxSockets ?? 50;
  const c: KMSClientConfig = {
    maxAttempts: options.maxAttempts ?? 1,
    requestHandler: {
      connectionTimeout: options.connectionTimeoutMs ?? 1000,
      httpAgent: { keepAlive: true, maxSockets },
      httpsAgent: { keepAlive: true, maxSockets },
    },
  };
  if (config.region !== undefined) c.region = config.region;
  if (config.endpoint !== undefined) c.endpoint = config.endpoint;
  if (config.accessKeyId !== undefined && config.secretAccessKey !== undefined) {
    c.credentials = {
      accessKeyId: config.accessKeyId,
      secretAccessKey: config.secretAccessKey,
      ...(config.sessionToken !== undefined ? { sessionToken: config.sessionToken } : {}),
    };
  }
  return new KMSClient(c);
}
