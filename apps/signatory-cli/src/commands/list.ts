import { SignatoryError, type Vault } from '@signatory-ts/core';
import { loadContext, type GlobalOptions } from '../context';
import { formatKeyRecord, keyRecord, type KeyRecord } from '../key-record';
import type { Out } from '../output';
import { openVault } from '../vaults';

export interface ListOptions extends GlobalOptions {
  json?: boolean;
  verbose?: boolean;
  /** Parallel GetPublicKey calls (string from the command line). */
  concurrency?: string;
}

/** Default parallel GetPublicKey calls: a 200-key region lists in well under a second at 20 ms per call. */
export const DEFAULT_LIST_CONCURRENCY = 32;
/**
 * `list` is not on a consensus deadline: a throttled GetPublicKey (KMS's quota for it is low) is
 * retried for up to this long rather than reported as a skipped key.
 */
const LIST_CALL_DEADLINE_MS = 60_000;

interface Skipped {
  vault: string;
  id: string;
  reason: string;
}

/** Progress on a terminal only, and only once there are enough keys for it to matter. */
const PROGRESS_AFTER = 25;

/** Reasons with their counts (and a couple of example key ids), most frequent first. */
function summary(skipped: readonly Skipped[]): string[] {
  const byReason = new Map<string, string[]>();
  for (const s of skipped) byReason.set(s.reason, [...(byReason.get(s.reason) ?? []), s.id]);
  return [...byReason.entries()]
    .sort((a, b) => b[1].length - a[1].length)
    .map(([reason, ids]) => `  ${ids.length} × ${reason} (e.g. ${ids.slice(0, 2).join(', ')})`);
}

/**
 * `signatory-cli list`: every key of every vault in Signatory's block format (or `--json`),
 * joined with its policy from `tezos:`. Keys a vault cannot use are reported on stderr after the
 * list (each one with -v); keys in `tezos:` that no vault holds get a warning. A vault that cannot
 * be listed at all makes the command fail after printing what the others hold.
 */
export async function list(opts: ListOptions, out: Out = process.stdout, err: NodeJS.WriteStream = process.stderr): Promise<void> {
  const concurrency = opts.concurrency === undefined ? DEFAULT_LIST_CONCURRENCY : Number(opts.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 256) {
    throw new SignatoryError('bad_request', `--concurrency must be a whole number from 1 to 256, got ${JSON.stringify(opts.concurrency)}`);
  }
  const { config, log } = await loadContext(opts);
  const records: KeyRecord[] = [];
  const skipped: Skipped[] = [];
  const failed: string[] = [];
  const progress = err.isTTY === true;
  let seen = 0;
  const tick = () => {
    seen++;
    if (progress && seen >= PROGRESS_AFTER && seen % 5 === 0) err.write(`\rlisting keys: ${seen}`);
  };

  for (const [name, vaultConfig] of config.vaults) {
    let vault: Vault | undefined;
    try {
      vault = openVault(vaultConfig, (message) => log.warn(message, { vault: name }), {
        listConcurrency: concurrency,
        deadlineMs: LIST_CALL_DEADLINE_MS,
      });
      for await (const entry of vault.list()) {
        tick();
        if (entry.ok) {
          const record = keyRecord(entry.key, config.tezos.has(entry.key.pkh) ? (config.tezos.get(entry.key.pkh) ?? null) : undefined);
          records.push(record);
          if (!opts.json) out.write(formatKeyRecord(record));
        } else {
          skipped.push({ vault: name, id: entry.id, reason: entry.reason });
          log.debug('skipped key', { vault: name, key: entry.id, reason: entry.reason });
        }
      }
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      log.error('cannot list vault', { vault: name, error: why });
      failed.push(`${name}: ${why}`);
    } finally {
      await vault?.close?.();
    }
  }
  if (progress && seen >= PROGRESS_AFTER) err.write(`\rlisting keys: ${seen} done\n`);

  if (opts.json) {
    out.write(JSON.stringify({ keys: records, skipped }, null, 2) + '\n');
  } else if (skipped.length > 0) {
    const lines = opts.verbose
      ? skipped.map((s) => `  ${s.id} (vault ${s.vault}): ${s.reason}`)
      : [...summary(skipped), '  (run with -v to list each one)'];
    err.write(`skipped ${skipped.length} key${skipped.length === 1 ? '' : 's'} that cannot sign Tezos requests:\n${lines.join('\n')}\n`);
  }

  const held = new Set(records.map((r) => r.pkh));
  for (const pkh of config.tezos.keys()) {
    if (!held.has(pkh) && failed.length === 0)
      log.warn(`${pkh} is configured under tezos: but no vault holds it; requests for it will fail`, { pkh });
  }
  if (failed.length > 0) {
    throw new SignatoryError(
      'vault_unavailable',
      `list: could not list ${failed.length === 1 ? 'a vault' : `${failed.length} vaults`}: ${failed.join('; ')}`,
    );
  }
}
