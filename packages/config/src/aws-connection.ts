import type { ConfigIssue, YamlPath } from './config-error';
import { httpUrlProblem } from './listen-address';
import type { AwsConnectionConfig } from './types';

/** The AWS connection keys as written in YAML (the schema's AWS_CONNECTION). */
export interface RawAwsConnection {
  access_key_id?: string;
  secret_access_key?: string;
  session_token?: string;
  region?: string;
  endpoint?: string;
}

/**
 * Checks and converts the AWS connection keys of the mapping at `at` (`vaults.<name>.config`,
 * `watermark.config`): the endpoint must be an http(s) URL, the two keys go together, a session
 * token needs them.
 */
export function buildAwsConnection(c: RawAwsConnection, at: YamlPath, errors: ConfigIssue[]): AwsConnectionConfig {
  if (c.endpoint !== undefined) {
    const problem = httpUrlProblem(c.endpoint);
    if (problem) errors.push({ path: [...at, 'endpoint'], message: problem });
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
  };
}

/** What an AWS SDK client's config takes of the connection keys. */
export interface AwsClientConnection {
  region?: string;
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

/**
 * The connection keys for one AWS SDK client (KMS, DynamoDB): the credentials are given to that
 * client only, never copied into the environment, so the vault and the watermark store may use
 * different ones; what is left out comes from the SDK's usual chain.
 */
export function awsClientConnection(c: AwsConnectionConfig): AwsClientConnection {
  const out: AwsClientConnection = {};
  if (c.region !== undefined) out.region = c.region;
  if (c.endpoint !== undefined) out.endpoint = c.endpoint;
  if (c.accessKeyId !== undefined && c.secretAccessKey !== undefined) {
    out.credentials = {
      accessKeyId: c.accessKeyId,
      secretAccessKey: c.secretAccessKey,
      ...(c.sessionToken !== undefined ? { sessionToken: c.sessionToken } : {}),
    };
  }
  return out;
}
