import type { ConfigIssue, YamlPath } from './config-error';
import { DEFAULT_DYNAMODB_TABLE, DEFAULT_DYNAMODB_TIMEOUT_MS } from './defaults';
import { httpUrlProblem } from './listen-address';
import { AWS_WATERMARK_CONFIG_SCHEMA } from './schema';
import { checkSchema } from './schema-check';
import type { AwsWatermarkConfig } from './types';

interface RawAwsWatermark {
  access_key_id?: string;
  secret_access_key?: string;
  session_token?: string;
  region?: string;
  endpoint?: string;
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
  if (c.endpoint !== undefined) {
    const problem = httpUrlProblem(c.endpoint);
    if (problem) errors.push({ path: [...at, 'endpoint'], message: problem });
  }
  if (c.table !== undefined && !TABLE_NAME.test(c.table)) {
    errors.push({
      path: [...at, 'table'],
      message: `${JSON.stringify(c.table)} is not a DynamoDB table name (3 to 255 characters: letters, digits, _ . -)`,
    });
  }
  if ((c.access_key_id === undefined) !== (c.secret_access_key === undefined)) {
    errors.push({ path: at, message: 'access_key_id and secret_access_key go together: set both or neither' });
  }
  if (c.session_token !== undefined && c.access_key_id === undefined) {
    errors.push({ path: [...at, 'session_token'], message: 'needs access_key_id and secret_access_key' });
  }
  return {
    ...(c.access_key_id !== undefined ? { accessKeyId: c.access_key_id } : {}),
    ...(c.secret_access_key !== undefined ? { secretAccessKey: c.secret_access_key } : {}),
    ...(c.session_token !== undefined ? { sessionToken: c.session_token } : {}),
    ...(c.region !== undefined ? { region: c.region } : {}),
    ...(c.endpoint !== undefined ? { endpoint: c.endpoint } : {}),
    table: c.table ?? DEFAULT_DYNAMODB_TABLE,
    createTable: c.create_table ?? true,
    timeoutMs: c.timeout_ms ?? DEFAULT_DYNAMODB_TIMEOUT_MS,
  };
}
