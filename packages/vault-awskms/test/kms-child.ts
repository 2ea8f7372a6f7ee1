/**
 * kms-local as a real child process on loopback (kms-local's spawnKmsLocal), its faults and key
 * states driven through its admin endpoint, and keys created through the real SDK.
 */
import { CreateKeyCommand, KMSClient, type KeySpec, type KeyUsageType, type OriginType } from '@aws-sdk/client-kms';
import { spawnKmsLocal, type SpawnedKmsLocal } from '@signatory-ts/kms-local';

export const CREDENTIALS = { accessKeyId: 'AKIDVAULTTEST', secretAccessKey: 'vault-test-secret' };

export interface KmsChild extends SpawnedKmsLocal {
  /** admin client (same credentials) for setting up keys */
  client: KMSClient;
  createKey(keySpec: KeySpec, opts?: { usage?: KeyUsageType; origin?: OriginType }): Promise<{ keyId: string; arn: string }>;
}

export async function startKms(): Promise<KmsChild> {
  const kms = await spawnKmsLocal({ credentials: CREDENTIALS });
  const client = new KMSClient({ endpoint: kms.url, region: 'us-east-1', credentials: CREDENTIALS, maxAttempts: 1 });
  return {
    ...kms,
    client,
    async createKey(keySpec, opts = {}) {
      const usage =
        opts.usage ??
        (keySpec === 'SYMMETRIC_DEFAULT' ? 'ENCRYPT_DECRYPT' : keySpec.startsWith('HMAC') ? 'GENERATE_VERIFY_MAC' : 'SIGN_VERIFY');
      const r = await client.send(
        new CreateKeyCommand({ KeySpec: keySpec, KeyUsage: usage, ...(opts.origin ? { Origin: opts.origin } : {}) }),
      );
      return { keyId: r.KeyMetadata!.KeyId!, arn: r.KeyMetadata!.Arn! };
    },
    async stop() {
      client.destroy();
      await kms.stop();
    },
  };
}
