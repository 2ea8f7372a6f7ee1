import { loadConfig, type Config, type KeyLimits, type KeyPolicyConfig } from '@signatory-ts/config';
import { DEFAULT_ALLOWED_REQUESTS, SignatoryError } from '@signatory-ts/core';
import type { GlobalOptions } from '../context';
import type { Out } from '../output';

export interface ConfigCheckOptions extends GlobalOptions {
  json?: boolean;
  /** Warnings are problems too: exit 3 when there is any. */
  strict?: boolean;
}

/** What one key may sign, in words. */
export interface KeySummary {
  readonly pkh: string;
  /** `default` (no value under tezos:), or `explicit`. */
  readonly policy: 'default' | 'explicit';
  readonly lines: readonly string[];
  /** Reasons this key can sign nothing at all, if any. */
  readonly warnings: readonly string[];
}

const CONSENSUS = new Set(['block', 'preattestation', 'attestation', 'attestation_with_dal']);

const list = (items: readonly string[]) => items.join(', ');

/** mutez as tez, exactly (no floating point). */
const tez = (mutez: bigint) => {
  const whole = mutez / 1_000_000n;
  const frac = (mutez % 1_000_000n).toString().padStart(6, '0').replace(/0+$/, '');
  return `${whole}${frac === '' ? '' : `.${frac}`} tez`;
};

/** A key's `limits:`, as sentences (generic requests only). */
function describeLimits(l: KeyLimits): string[] {
  const out: string[] = [];
  const bound = (label: string, v: bigint | undefined, unit: (n: bigint) => string) => {
    if (v !== undefined) out.push(`generic requests: ${label} at most ${unit(v)}`);
  };
  bound('each operation sends', l.maxAmount, tez);
  bound('a whole request takes from the key (amounts, fees, storage burn)', l.maxRequestAmount, tez);
  bound('each operation pays a fee of', l.maxFee, tez);
  bound('each operation has a gas limit of', l.maxGasLimit, String);
  bound('each operation has a storage limit of', l.maxStorageLimit, (n) => `${n} bytes`);
  if (l.destinations !== undefined) {
    const to = l.destinations.map((d) => (d.entrypoint === 'default' ? d.address : `${d.address}%${d.entrypoint}`));
    out.push(to.length === 0 ? 'generic requests: sends to no one but the key itself' : `generic requests: sends only to ${list(to)}`);
  }
  if (l.delegates !== undefined) out.push(`generic requests: delegates only to ${list(l.delegates) || 'no one'}`);
  for (const cap of l.spend ?? []) out.push(`at most ${tez(cap.amount)} leaves the key in any ${cap.window}`);
  return out;
}

/** The effective policy of one `tezos:` entry, as sentences. */
export function describeKey(pkh: string, entry: KeyPolicyConfig | null, config: Config): KeySummary {
  const requests = entry === null ? DEFAULT_ALLOWED_REQUESTS : entry.allowedRequests;
  const lines: string[] = [];
  const warnings: string[] = [];
  const consensus = requests.filter((r) => CONSENSUS.has(r));
  lines.push(
    consensus.length > 0
      ? `signs ${list(consensus)}: each (level, round) once per chain, guarded by the ${config.watermark.driver} watermark store`
      : 'signs no block or consensus operation',
  );
  if (requests.includes('generic')) {
    const ops = entry?.allowedOperations ?? [];
    if (ops.length === 0) {
      lines.push('generic requests are allowed but no operation kind is listed: every one is refused');
      warnings.push(`${pkh}: allow.generic lists no operation kind, so every generic request is refused`);
    } else {
      lines.push(`signs generic operations made only of: ${list(ops)}`);
    }
  } else {
    lines.push('signs no generic operation (no transfer, delegation, staking or vote)');
  }
  if (requests.includes('pack')) lines.push('signs pack requests (BLS aggregation of attestations)');
  if (entry?.allowProofOfPossession === true) lines.push('signs BLS proofs of possession');
  const chains = entry?.allowedChains;
  lines.push(
    chains === undefined || chains.length === 0
      ? 'on any chain'
      : `block and consensus requests only on chain ${list(chains)} (generic and pack requests carry no chain id and are not restricted)`,
  );
  const clients = entry?.authorizedKeys;
  if (clients !== undefined && clients.length > 0) {
    lines.push(`only for requests authenticated by ${list(clients)}`); // the loader refuses them without server.authorized_keys
  } else if (config.server.authorizedKeys !== undefined) {
    lines.push('for any client authenticated by a key of server.authorized_keys');
  } else {
    lines.push('for any client that can reach the signing listener (no authentication)');
  }
  if (entry?.jwtUsers !== undefined && entry.jwtUsers.length > 0) lines.push(`only for the JWT users ${list(entry.jwtUsers)}`);
  if (entry?.limits !== undefined) lines.push(...describeLimits(entry.limits));
  if (config.policyHook !== undefined) {
    const url = new URL(config.policyHook.address); // shown without credentials or query
    lines.push(`and only if the policy hook at ${url.origin}${url.pathname} approves each request as well`);
  }
  if (entry?.logPayloads === true) lines.push('logs every request it signs, whole, at info level');
  if (requests.length === 0) warnings.push(`${pkh}: its policy allows no request kind, so it signs nothing`);
  return { pkh, policy: entry === null ? 'default' : 'explicit', lines, warnings };
}

/**
 * `signatory-cli config check`: loads signatory.yaml as `signatory serve` does (every problem is
 * reported, exit 3), then prints the effective policy of each key in words. Warnings (old names
 * rewritten, a key that can sign nothing) are printed and exit 0, or 3 with --strict.
 */
export async function configCheck(opts: ConfigCheckOptions, out: Out = process.stdout, err: Out = process.stderr): Promise<void> {
  const config = await loadConfig(opts.config, opts.baseDir !== undefined ? { baseDirOverride: opts.baseDir } : {});
  const keys = [...config.tezos].map(([pkh, entry]) => describeKey(pkh, entry, config));
  const warnings = [...config.warnings, ...keys.flatMap((k) => k.warnings)];
  if (opts.json) {
    out.write(
      JSON.stringify(
        {
          file: config.file,
          base_dir: config.baseDir,
          server: {
            address: config.server.address,
            utility_address: config.server.utilityAddress,
            authentication: config.server.authorizedKeys !== undefined,
          },
          watermark: config.watermark.driver,
          vaults: [...config.vaults].map(([name, v]) => ({ name, driver: v.driver })),
          keys: keys.map((k) => ({ pkh: k.pkh, policy: k.policy, effective: k.lines })),
          warnings,
        },
        null,
        2,
      ) + '\n',
    );
  } else {
    const vaults = [...config.vaults].map(([name, v]) => `${name} (${v.driver})`);
    out.write(
      `${config.file}: valid\n` +
        `  signing listener ${config.server.address}, utility listener ${config.server.utilityAddress}\n` +
        `  client authentication: ${config.server.authorizedKeys !== undefined ? `${config.server.authorizedKeys.length} authorized key(s)` : 'off'}` +
        `${config.server.jwt !== undefined ? `, JWT (${config.server.jwt.users.size} user(s))` : ''}\n` +
        `  watermarks: ${config.watermark.driver}${config.watermark.driver === 'file' ? ` in ${config.baseDir}` : ''}\n` +
        `  vaults: ${vaults.length > 0 ? list(vaults) : 'none'}\n`,
    );
    for (const k of keys) {
      out.write(`\n${k.pkh}${k.policy === 'default' ? ' (default policy)' : ''}\n${k.lines.map((l) => `  - ${l}\n`).join('')}`);
    }
    for (const w of warnings) err.write(`warning: ${w}\n`);
  }
  if (opts.strict && warnings.length > 0) {
    throw new SignatoryError('config_invalid', `${config.file}: ${warnings.length} warning(s), and --strict makes warnings problems`);
  }
}
