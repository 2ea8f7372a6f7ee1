import { SignatoryError } from '@signatory-ts/core';

/** A place in the YAML tree: mapping keys and list indexes, from the root. */
export type YamlPath = readonly (string | number)[];

/** One problem (or warning) found in a config, before it is given a file position. */
export interface ConfigIssue {
  readonly path: YamlPath;
  readonly message: string;
}

/** `tezos.tz1….allow.generic[2]`; keys that are not plain words are quoted: `vaults["my kms"]`. */
export function formatPath(path: YamlPath): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z0-9_-]+$/.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/** Where in the file an issue is: 1-based line and column, when known. */
export interface Position {
  readonly line: number;
  readonly column: number;
}

/** `file:line:col: path: message`, leaving out what is unknown. */
export function formatIssue(file: string, issue: ConfigIssue, at?: Position): string {
  const where = at === undefined ? file : `${file}:${at.line}:${at.column}`;
  const path = formatPath(issue.path);
  return path === '' ? `${where}: ${issue.message}` : `${where}: ${path}: ${issue.message}`;
}

/**
 * Everything wrong with one config file, in one error (code `config_invalid`). The message has
 * one line per problem, each naming the file, position, YAML path and what was expected.
 * Messages never carry secret values (passwords, secrets, AWS keys): only names and positions.
 */
export class ConfigError extends SignatoryError {
  constructor(
    readonly file: string,
    /** One formatted line per problem, in file order. */
    readonly problems: readonly string[],
    options?: { cause?: unknown },
  ) {
    super('config_invalid', problems.join('\n'), options);
  }
}

export function isConfigError(e: unknown): e is ConfigError {
  return e instanceof ConfigError;
}
