import type { ConfigIssue, YamlPath } from './config-error';
import { SUPPORTED_VAULT_DRIVERS, UNSUPPORTED_VAULT_DRIVERS } from './defaults';
import { buildAwsConnection, type RawAwsConnection } from './aws-connection';
import { AWSKMS_CONFIG_SCHEMA, checkSchema } from './schema-check';
import { didYouMean } from './suggest';
import type { AwsKmsConfig, VaultConfig } from './types';

interface RawAwsKms extends RawAwsConnection {
  keys?: string[];
  user_name?: string;
}

/** A KMS key reference: key id, multi-region key id, key or alias ARN, or alias name. */
const KMS_KEY_REF =
  /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32}|alias\/[A-Za-z0-9/_-]+|arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key\/[A-Za-z0-9-]+|alias\/[A-Za-z0-9/_-]+))$/;

/**
 * One `vaults.<name>` entry. A Go Signatory driver this build lacks gets its own error, so a
 * config written for Signatory fails with "not supported by this build", not "unknown".
 */
export function buildVault(
  raw: { driver: string; config?: unknown },
  path: YamlPath,
  errors: ConfigIssue[],
  warnings: ConfigIssue[],
): VaultConfig | undefined {
  const supported = `supported: ${SUPPORTED_VAULT_DRIVERS.join(', ')}`;
  if ((UNSUPPORTED_VAULT_DRIVERS as readonly string[]).includes(raw.driver)) {
    errors.push({
      path: [...path, 'driver'],
      message: `driver ${JSON.stringify(raw.driver)} is not supported by this build (${supported})`,
    });
    return undefined;
  }
  if (raw.driver !== 'awskms') {
    const all = [...SUPPORTED_VAULT_DRIVERS, ...UNSUPPORTED_VAULT_DRIVERS];
    errors.push({
      path: [...path, 'driver'],
      message: `unknown vault driver ${JSON.stringify(raw.driver)}${didYouMean(raw.driver, all)} (${supported})`,
    });
    return undefined;
  }
  const at = [...path, 'config'];
  const before = errors.length;
  errors.push(...checkSchema(AWSKMS_CONFIG_SCHEMA, raw.config ?? null, at));
  if (errors.length > before) return undefined;
  const c = (raw.config ?? {}) as RawAwsKms;
  if (c.user_name !== undefined) {
    warnings.push({ path: [...at, 'user_name'], message: 'is ignored (as in Go Signatory since it dropped the setting); remove it' });
  }
  const connection = buildAwsConnection(c, at, errors);
  c.keys?.forEach((k, i) => {
    if (!KMS_KEY_REF.test(k)) {
      errors.push({
        path: [...at, 'keys', i],
        message: `${JSON.stringify(k)} is not a KMS key reference (expected a key id, mrk-… id, key ARN, alias/name or alias ARN)`,
      });
    }
  });
  const config: AwsKmsConfig = { ...connection, ...(c.keys !== undefined ? { keys: [...new Set(c.keys)] } : {}) };
  return { driver: 'awskms', config };
}
