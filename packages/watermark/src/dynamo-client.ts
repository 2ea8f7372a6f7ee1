import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { awsClientConnection, type AwsWatermarkConfig } from '@signatory-ts/config';

/**
 * The DynamoDB client of a `driver: aws` store (the watermark table, the spend ledger's table): each call
 * cut at `timeout_ms`, keep-alive sockets, and the config's credentials given to this client only (never
 * the environment), so the vault may use others. `maxAttempts` 1 when the caller retries itself.
 */
export function createDynamoClient(
  config: AwsWatermarkConfig,
  options: { maxAttempts: number; connectionTimeoutMs?: number },
): DynamoDBClient {
  return new DynamoDBClient({
    ...awsClientConnection(config),
    maxAttempts: options.maxAttempts,
    requestHandler: {
      connectionTimeout: options.connectionTimeoutMs ?? 1000,
      requestTimeout: config.timeoutMs,
      httpAgent: { keepAlive: true },
      httpsAgent: { keepAlive: true },
    },
  });
}
