import type { ConfigIssue, YamlPath } from './config-error';
import { DEFAULT_DYNAMODB_TABLE, DEFAULT_DYNAMODB_TIMEOUT_MS } from './defaults';
import { buildAwsConnection, type RawAwsConnection } from './aws-connection';
import { AWS_WATERMARK_CONFIG_SCHEMA } from './schema';
import { checkSchema } from './schema-check';
import type { AwsWatermarkConfig } from './types';

interface RawAwsWatermark extends RawAwsConnection {
  table?: string;
  create_table?: boolean;
  timeout_ms?: number;
}

/** DynamoDB's rule for table names. */
const TABLE_NAME = /^[A-Za-z0-9_.-]{3,255}$/;

/**
 * `watermark.config` for `driver: aws`. A missing region is not an error here: the AWS SDK's chain
 * (AWS_REGION, profile) may supply it; the store says so at start-up when nothing does.
 */
export function buildAwsWatermark(raw: unknown, errors: ConfigIssue[]): AwsWatermarkConfig | undefined {
  const at: YamlPath = ['watermark', 'config'];
  const before = errors.length;
  errors.push(...checkSchema(AWS_WATERMARK_CONFIG_SCHEMA, raw ?? null, at));
  if (errors.length > before) return undefined;
  const c = (raw ?? {}) as RawAwsWatermark;
  const connection = buildAwsConnection(c, at, errors);
  if (c.table !== undefined && !TABLE_NAME.test(c.table)) {
    errors.push({
      path: [...at, 'table'],
      message: `${JSON.stringify(c.table)} is not a DynamoDB table name (3 to 255 characters: letters, digits, _ . -)`,
    });
  }
  return {
    ...connection,
    table: c.table ?? DEFAULT_DYNAMODB_TABLE,
    createTable: c.create_table ?? true,
    timeoutMs: c.timeout_ms ?? DEFAULT_DYNAMODB_TIMEOUT_MS,
  };
}
