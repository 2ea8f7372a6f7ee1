import { loadConfig, type AwsKmsConfig, type Config } from '@signatory-ts/config';
import { SignatoryError } from '@signatory-ts/core';
import { createLogger, logProcessWarnings, type Logger } from '@signatory-ts/log';

/** The program-level options every command sees. */
export interface GlobalOptions {
  config: string;
  baseDir?: string;
  log?: string;
  jsonLog?: boolean;
}

export interface Context {
  readonly config: Config;
  readonly log: Logger;
}

/** Logger plus validated config (its warnings logged), as every config-reading command starts. */
export async function loadContext(opts: GlobalOptions): Promise<Context> {
  const log = createLogger({ ...(opts.log !== undefined ? { level: opts.log } : {}), ...(opts.jsonLog ? { json: true } : {}) });
  logProcessWarnings(log);
  const config = await loadConfig(opts.config, opts.baseDir !== undefined ? { baseDirOverride: opts.baseDir } : {});
  for (const w of config.warnings) log.warn(w);
  return { config, log };
}

/** The `awskms` settings of the vault named `name` under `vaults:`, or a clear error. */
export function vaultConfig(config: Config, name: string, command: string): AwsKmsConfig {
  const v = config.vaults.get(name);
  if (v === undefined) {
    const names = [...config.vaults.keys()];
    throw new SignatoryError(
      'bad_request',
      `${command}: vault ${JSON.stringify(name)} is not found in ${config.file} (vaults: ${names.length ? names.join(', ') : 'none'})`,
    );
  }
  return v.config;
}
