import { KMSClient } from '@aws-sdk/client-kms';
import type { AwsKmsConfig } from '@signatory-ts/config';

/**
 * An SDK client for one `awskms` vault's settings, for the key-management commands. Credentials
 * in the config are passed to the client (never copied into the environment); what the config
 * leaves out comes from the SDK's usual chain. Retries are the SDK's standard ones with a few more
 * attempts, since import and listing run into KMS's low per-second quotas (GetParametersForImport
 * 0.25/s, GetPublicKey 5/s).
 */
export function kmsClient(c: AwsKmsConfig): KMSClient {
  return new KMSClient({
    ...(c.region !== undefined ? { region: c.region } : {}),
    ...(c.endpoint !== undefined ? { endpoint: c.endpoint } : {}),
    ...(c.accessKeyId !== undefined && c.secretAccessKey !== undefined
      ? {
          credentials: {
            accessKeyId: c.accessKeyId,
            secretAccessKey: c.secretAccessKey,
            ...(c.sessionToken !== undefined ? { sessionToken: c.sessionToken } : {}),
          },
        }
      : {}),
    maxAttempts: 5,
  });
}
