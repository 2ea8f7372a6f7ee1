import { readFile } from 'node:fs/promises';
import { ConfigError, formatIssue, type ConfigIssue, type YamlPath } from './config-error';
import { DEFAULT_BASE_DIR, SUPPORTED_WATERMARK_DRIVERS, UNSUPPORTED_WATERMARK_DRIVERS } from './defaults';
import { substituteEnv, type Env } from './env-substitution';
import { buildKeyPolicy, type RawKeyPolicy } from './key-policy';
import { CONFIG_SCHEMA, checkSchema } from './schema-check';
import { buildServer, type RawServer } from './server-config';
import { didYouMean } from './suggest';
import { pkhProblem } from './tezos-identifiers';
import type { Config, KeyPolicyConfig, PolicyHookConfig, VaultConfig, WatermarkConfig } from './types';
import { buildVault } from './vault-config';
import { buildAwsWatermark } from './watermark-aws';
import { buildPostgresWatermark } from './watermark-postgres';
import { parseYaml } from './yaml-source';
import { httpUrlProblem } from './listen-address';
import { flattenKeys } from './public-keys';

export interface LoadOptions {
  /** Where `${VAR}` values come from. Default: process.env. */
  readonly env?: Env;
  /** Replaces `base_dir` (the `--base-dir` flag); the file's base_dir is then not expanded. */
  readonly baseDirOverride?: string;
}

export interface ParseOptions extends LoadOptions {
  /** Name used in messages (the path the text was read from). Default `signatory.yaml`. */
  readonly file?: string;
}

/**
 * Reads and validates signatory.yaml. Throws a ConfigError (a SignatoryError with code
 * `config_invalid`) listing every problem found, each as `file:line:col: yaml.path: what was
 * expected`; a missing or unreadable file gives one such line too.
 */
export async function loadConfig(path: string, options: LoadOptions = {}): Promise<Config> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why =
      err.code === 'ENOENT'
        ? 'no such file (pass the path of your signatory.yaml with --config)'
        : err.code === 'EACCES' || err.code === 'EPERM'
          ? 'permission denied (the signer must be able to read its config file)'
          : err.code === 'EISDIR'
            ? 'is a directory, not a file'
            : `cannot be read (${err.code ?? err.message})`;
    throw new ConfigError(path, [`${path}: ${why}`], { cause: e });
  }
  return parseConfig(text, { ...options, file: path });
}

/** The same as loadConfig, from text already in memory. */
export function parseConfig(text: string, options: ParseOptions = {}): Config {
  const file = options.file ?? 'signatory.yaml';
  const source = parseYaml(text, file);
  const errors: ConfigIssue[] = [];
  const warnings: ConfigIssue[] = [];
  const override = options.baseDirOverride;
  const isBaseDir = (p: YamlPath) => p.length === 1 && p[0] === 'base_dir';

  const substituted = substituteEnv(source.value, options.env ?? process.env, isBaseDir);
  errors.push(...substituted.issues.filter((i) => !(override !== undefined && isBaseDir(i.path))));
  const raw = substituted.value;

  // Schema problems stop the semantic checks only for the entries they are in, so one run
  // reports as much as it safely can.
  const schemaIssues = checkSchema(CONFIG_SCHEMA, raw);
  errors.push(...schemaIssues);
  const broken = (prefix: YamlPath) => schemaIssues.some((i) => prefix.every((seg, n) => n >= i.path.length || i.path[n] === seg));
  const config = build(raw as RawConfig, file, override, broken, errors, warnings);
  if (errors.length > 0) throw fail(file, errors, source.locate);
  return { ...config, warnings: warnings.map((w) => formatIssue(file, w, source.locate(w.path))) };
}

interface RawConfig {
  base_dir?: string;
  server?: RawServer | null;
  vaults?: Record<string, { driver: string; config?: unknown }> | null;
  tezos?: Record<string, RawKeyPolicy | null> | null;
  policy_hook?: { address: string; authorized_keys?: unknown; timeout_ms?: number; ca_file?: string } | null;
  watermark?: { driver: string; config?: unknown } | null;
}

function build(
  raw: RawConfig,
  file: string,
  override: string | undefined,
  broken: (prefix: YamlPath) => boolean,
  errors: ConfigIssue[],
  warnings: ConfigIssue[],
): Omit<Config, 'warnings'> {
  const serverKnown = !broken(['server']);
  const server = buildServer(serverKnown ? raw.server : null, errors);

  const vaults = new Map<string, VaultConfig>();
  for (const [name, v] of Object.entries(broken(['vaults']) ? {} : (raw.vaults ?? {}))) {
    if (broken(['vaults', name])) continue;
    const vault = buildVault(v, ['vaults', name], errors, warnings);
    if (vault) vaults.set(name, vault);
  }

  const tezos = new Map<string, KeyPolicyConfig | null>();
  const ctx = {
    crossChecks: serverKnown,
    errors,
    warnings,
    ...(server.authorizedKeys !== undefined ? { serverKeys: server.authorizedKeys } : {}),
    ...(server.jwt !== undefined ? { jwtUsers: new Set(server.jwt.users.keys()) } : {}),
  };
  for (const [pkh, policy] of Object.entries(broken(['tezos']) ? {} : (raw.tezos ?? {}))) {
    if (broken(['tezos', pkh])) continue;
    const problem = pkhProblem(pkh);
    if (problem) errors.push({ path: ['tezos', pkh], message: problem });
    tezos.set(pkh, buildKeyPolicy(pkh, policy, ['tezos', pkh], ctx));
  }

  let policyHook: PolicyHookConfig | undefined;
  if (raw.policy_hook && !broken(['policy_hook'])) {
    const problem = httpUrlProblem(raw.policy_hook.address);
    if (problem) errors.push({ path: ['policy_hook', 'address'], message: problem });
    const keys = raw.policy_hook.authorized_keys;
    if (!problem && keys === undefined && openToPath(raw.policy_hook.address)) {
      warnings.push({
        path: ['policy_hook', 'address'],
        message:
          'is plain http to another host and replies are not signed: anything on the network path can approve signatures; set policy_hook.authorized_keys or use https',
      });
    }
    const caFile = raw.policy_hook.ca_file;
    if (!problem && caFile !== undefined && new URL(raw.policy_hook.address).protocol !== 'https:') {
      errors.push({
        path: ['policy_hook', 'ca_file'],
        message:
          'is set but policy_hook.address is plain http, where no certificate is checked: use an https:// address, or remove ca_file',
      });
    }
    policyHook = {
      address: raw.policy_hook.address,
      ...(keys !== undefined ? { authorizedKeys: flattenKeys(keys, ['policy_hook', 'authorized_keys'], errors, hookKeyProblem) } : {}),
      ...(raw.policy_hook.timeout_ms !== undefined ? { timeoutMs: raw.policy_hook.timeout_ms } : {}),
      ...(caFile !== undefined ? { caFile } : {}),
    };
  }

  const watermark = buildWatermark(broken(['watermark']) ? null : raw.watermark, errors, warnings);
  if (watermark.driver === 'mem') {
    // the spend ledger lives where the marks do: in memory a restart would hand every key its whole cap back
    for (const [pkh, policy] of tezos) {
      if ((policy?.limits?.spend?.length ?? 0) === 0) continue;
      errors.push({
        path: ['tezos', pkh, 'limits', 'spend'],
        message:
          'spend caps need a ledger that survives a restart and is shared by every replica, and watermark driver mem keeps it in memory; use watermark driver file, aws or postgres',
      });
    }
  }

  // Last, and only when nothing else is wrong: after a typo such as `vault:` it would be noise.
  if (errors.length === 0) checkSomethingToSign(raw, errors, warnings);

  return {
    file,
    baseDir: override ?? raw.base_dir ?? DEFAULT_BASE_DIR,
    server,
    vaults,
    tezos,
    ...(policyHook ? { policyHook } : {}),
    watermark,
  };
}

/**
 * A signer with no vault can sign nothing, and one whose config is empty was almost certainly
 * started with the wrong file: both are refused. Vaults without a `tezos:` key load with a warning
 * (that is the state while a first key is being imported), since every signing request is then
 * refused. Go Signatory starts silently in all three cases.
 */
function checkSomethingToSign(raw: RawConfig, errors: ConfigIssue[], warnings: ConfigIssue[]): void {
  const none = (v: object | null | undefined) => v === undefined || v === null || Object.keys(v).length === 0;
  const how = 'see docs/configuration.md';
  if (Object.keys(raw).length === 0) {
    errors.push({
      path: [],
      message: `the config is empty, so the signer would have no key to sign with: add a vault under "vaults:" and the keys it may sign with under "tezos:" (${how})`,
    });
  } else if (none(raw.vaults)) {
    errors.push({
      path: raw.vaults === undefined ? [] : ['vaults'],
      message: `no vault is configured, so the signer would have no key to sign with: add one under "vaults:" (driver awskms; ${how})`,
    });
  } else if (none(raw.tezos)) {
    warnings.push({
      path: raw.tezos === undefined ? [] : ['tezos'],
      message: `no key is listed under "tezos:", so every signing request will be refused: add the pkh of each key the signer may use, with its policy (${how})`,
    });
  }
}

function buildWatermark(raw: RawConfig['watermark'], errors: ConfigIssue[], warnings: ConfigIssue[]): WatermarkConfig {
  if (!raw) return { driver: 'file' };
  const supported = `supported: ${SUPPORTED_WATERMARK_DRIVERS.join(', ')}`;
  if ((UNSUPPORTED_WATERMARK_DRIVERS as readonly string[]).includes(raw.driver)) {
    errors.push({
      path: ['watermark', 'driver'],
      message: `driver ${JSON.stringify(raw.driver)} is not supported by this build (${supported})`,
    });
  } else if (raw.driver === 'aws') {
    const config = buildAwsWatermark(raw.config, errors);
    if (config) return { driver: 'aws', config };
  } else if (raw.driver === 'postgres') {
    const postgres = buildPostgresWatermark(raw.config, ['watermark', 'config'], errors, warnings);
    if (postgres) return { driver: 'postgres', postgres };
  } else if (raw.driver !== 'file' && raw.driver !== 'mem') {
    const all = [...SUPPORTED_WATERMARK_DRIVERS, ...UNSUPPORTED_WATERMARK_DRIVERS];
    errors.push({
      path: ['watermark', 'driver'],
      message: `unknown watermark driver ${JSON.stringify(raw.driver)}${didYouMean(raw.driver, all)} (${supported})`,
    });
  } else {
    if (raw.config !== undefined && raw.config !== null) {
      errors.push({
        path: ['watermark', 'config'],
        message: `driver ${JSON.stringify(raw.driver)} takes no config (the file driver keeps its state under base_dir)`,
      });
    }
    return { driver: raw.driver };
  }
  return { driver: 'file' };
}

/** Sorts by position so the message reads top to bottom, then wraps everything in one ConfigError. */
function fail(
  file: string,
  issues: ConfigIssue[],
  locate: (p: YamlPath) => ReturnType<ReturnType<typeof parseYaml>['locate']>,
): ConfigError {
  const located = issues.map((issue, n) => ({ issue, at: locate(issue.path), n }));
  located.sort((a, b) => (a.at?.line ?? 0) - (b.at?.line ?? 0) || (a.at?.column ?? 0) - (b.at?.column ?? 0) || a.n - b.n);
  return new ConfigError(
    file,
    located.map(({ issue, at }) => formatIssue(file, issue, at)),
  );
}

/** Hook replies are verified with core's Tezos verification, which has no BLS. */
function hookKeyProblem(key: string): string | undefined {
  return key.startsWith('BLpk')
    ? 'is a BLS key: hook replies can be verified with ed25519 (edpk), secp256k1 (sppk) or P-256 (p2pk) keys only; give the hook one of those'
    : undefined;
}

/** An http:// (not https) hook URL whose host is not this machine. */
function openToPath(address: string): boolean {
  const url = new URL(address);
  if (url.protocol !== 'http:') return false;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return !(host === 'localhost' || host === '::1' || /^127\./.test(host));
}
