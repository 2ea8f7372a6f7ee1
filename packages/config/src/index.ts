export { loadConfig, parseConfig, type LoadOptions, type ParseOptions } from './load-config';
export { ConfigError, isConfigError, formatPath, type ConfigIssue, type YamlPath } from './config-error';
export * from './defaults';
export { DEFAULT_CONFIG_FILE, GLOBAL_OPTIONS } from './global-options';
export type * from './types';
export { substituteEnv, type Env } from './env-substitution';
export { CONFIG_SCHEMA, AWSKMS_CONFIG_SCHEMA, POSTGRES_WATERMARK_CONFIG_SCHEMA } from './schema';
export { suggest, editDistance } from './suggest';
export { GENERIC_KINDS } from './key-policy';
