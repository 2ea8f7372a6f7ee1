import { formatTez, parseWindow, type Config, type KeyLimits } from '@signatory-ts/config';
import { SignatoryError } from '@signatory-ts/core';
import { openSpendLedger, type SpendLedger, type WindowUsage } from '@signatory-ts/spend-ledger';
import { loadContext, type Context, type GlobalOptions } from '../context';
import type { Out } from '../output';

export interface ShowOptions extends GlobalOptions {
  json?: boolean;
}

export interface ResetOptions extends GlobalOptions {
  key: string;
  window: string;
  force?: boolean;
}

/** One key's limits and, for its spend caps, what each window holds now. */
interface KeyReport {
  readonly pkh: string;
  readonly limits: KeyLimits;
  readonly spend: readonly WindowUsage[];
}

/** `signatory-cli limits show`: each key's limits and what is left in each spend window. */
export async function limitsShow(opts: ShowOptions, out: Out = process.stdout): Promise<void> {
  await showLimits(await loadContext(opts), opts.json === true, out, Date.now());
}

/**
 * `signatory-cli limits reset --key --window --force`: clears the confirmed spend of one window of a
 * key (`all`: every window), so the key may spend its cap again at once. Reservations not confirmed
 * (requests still being signed, or left by a signer that stopped: each may be a signature that left)
 * stay counted. Without --force it changes nothing.
 */
export async function limitsReset(opts: ResetOptions, out: Out = process.stdout): Promise<void> {
  await resetSpend(await loadContext(opts), opts, out, Date.now());
}

/** limitsShow on a loaded config, at `now`. */
export async function showLimits(ctx: Context, json: boolean, out: Out, now: number): Promise<void> {
  const keys = keysWithLimits(ctx.config);
  if (keys.length === 0) {
    if (json) out.write('[]\n');
    else ctx.log.info('no key has limits', { config: ctx.config.file });
    return;
  }
  await withLedger(ctx.config, keys, async (ledger) => writeReport(await report(keys, ledger, now), json, out));
}

/** limitsReset on a loaded config, at `now`. */
export async function resetSpend(ctx: Context, opts: Pick<ResetOptions, 'key' | 'window' | 'force'>, out: Out, now: number): Promise<void> {
  const limits = ctx.config.tezos.get(opts.key)?.limits;
  const caps = limits?.spend ?? [];
  if (limits === undefined || caps.length === 0) {
    throw new SignatoryError(
      'bad_request',
      `limits reset: key ${opts.key} has no spend caps in ${ctx.config.file} (tezos.${opts.key}.limits.spend)`,
    );
  }
  const windowSeconds = pickWindow(opts.window, caps);
  await withLedger(ctx.config, [[opts.key, limits]], async (ledger) => {
    const before = (await ledger!.show(opts.key, caps, now)).filter(
      (w) => windowSeconds === undefined || w.windowSeconds === windowSeconds,
    );
    const what = `${opts.key} ${before.map((w) => `${w.window} (${formatTez(w.spent - w.reserved)} confirmed)`).join(', ')}`;
    const reserved = before.reduce((m, w) => (w.reserved > m ? w.reserved : m), 0n);
    // kept: a request still signing may release its signature after the reset
    const kept =
      reserved > 0n
        ? `; ${formatTez(reserved)} reserved and not confirmed (requests being signed, or left by a signer that stopped) stays counted`
        : '';
    if (!opts.force) {
      throw new SignatoryError(
        'bad_request',
        `limits reset: would clear ${what}${kept}; after that the key may spend the rest of the cap again at once. Repeat with --force`,
      );
    }
    await ledger!.reset(opts.key, windowSeconds, now);
    ctx.log.warn('spend window reset', {
      pkh: opts.key,
      window: opts.window,
      ...Object.fromEntries(before.map((w) => [`spent_${w.window}`, w.spent.toString()])),
      ...Object.fromEntries(before.map((w) => [`reserved_${w.window}`, w.reserved.toString()])),
    });
    out.write(`cleared ${what}${kept}\n`);
  });
}

/** The config's keys that have limits, in file order. */
function keysWithLimits(config: Config): [string, KeyLimits][] {
  return [...config.tezos].flatMap(([pkh, p]) => (p?.limits !== undefined ? [[pkh, p.limits] as [string, KeyLimits]] : []));
}

/** Runs `fn` with the ledger the config names, when a key has spend caps (none otherwise: nothing to read). */
async function withLedger(
  config: Config,
  keys: [string, KeyLimits][],
  fn: (ledger: SpendLedger | undefined) => Promise<void>,
): Promise<void> {
  if (!keys.some(([, l]) => (l.spend?.length ?? 0) > 0)) return fn(undefined);
  if (config.watermark.driver === 'mem') {
    throw new SignatoryError(
      'bad_request',
      `limits: ${config.file} uses the mem watermark driver, whose spend ledger lives in the signer's memory: there is nothing to show or reset from here`,
    );
  }
  const ledger = await openSpendLedger(config);
  try {
    await fn(ledger);
  } finally {
    await ledger.close();
  }
}

/** Each key's limits and spend windows at `now`. */
async function report(keys: [string, KeyLimits][], ledger: SpendLedger | undefined, now: number): Promise<KeyReport[]> {
  const out: KeyReport[] = [];
  for (const [pkh, limits] of keys) {
    const caps = limits.spend ?? [];
    out.push({ pkh, limits, spend: caps.length > 0 && ledger !== undefined ? await ledger.show(pkh, caps, now) : [] });
  }
  return out;
}

/** Text: one block per key; JSON: amounts as mutez in decimal strings. */
function writeReport(reports: readonly KeyReport[], json: boolean, out: Out): void {
  if (json) {
    const mutez = (v: bigint | undefined) => (v === undefined ? undefined : v.toString());
    const rows = reports.map(({ pkh, limits: l, spend }) => ({
      pkh,
      limits: {
        max_amount: mutez(l.maxAmount),
        max_request_amount: mutez(l.maxRequestAmount),
        max_fee: mutez(l.maxFee),
        max_gas_limit: mutez(l.maxGasLimit),
        max_storage_limit: mutez(l.maxStorageLimit),
        destinations: l.destinations?.map((d) => (d.entrypoint === 'default' ? d.address : `${d.address}%${d.entrypoint}`)),
        delegates: l.delegates,
      },
      spend: spend.map((w) => ({
        window: w.window,
        cap: mutez(w.cap),
        spent: mutez(w.spent),
        reserved: mutez(w.reserved),
        left: mutez(w.left),
      })),
    }));
    out.write(JSON.stringify(rows, null, 2) + '\n');
    return;
  }
  for (const { pkh, limits: l, spend } of reports) {
    const lines: [string, string][] = [];
    const tez = (name: string, v: bigint | undefined) => v !== undefined && lines.push([name, formatTez(v)]);
    const count = (name: string, v: bigint | undefined) => v !== undefined && lines.push([name, v.toString()]);
    tez('max_amount', l.maxAmount);
    tez('max_request_amount', l.maxRequestAmount);
    tez('max_fee', l.maxFee);
    count('max_gas_limit', l.maxGasLimit);
    count('max_storage_limit', l.maxStorageLimit);
    if (l.destinations !== undefined) {
      lines.push([
        'destinations',
        l.destinations.map((d) => (d.entrypoint === 'default' ? d.address : `${d.address}%${d.entrypoint}`)).join(', ') || '(none)',
      ]);
    }
    if (l.delegates !== undefined) lines.push(['delegates', l.delegates.join(', ') || '(none)']);
    for (const w of spend) {
      const reserved = w.reserved > 0n ? ` (${formatTez(w.reserved)} reserved, not confirmed)` : '';
      lines.push([`spend ${w.window}`, `cap ${formatTez(w.cap)}, spent ${formatTez(w.spent)}${reserved}, left ${formatTez(w.left)}`]);
    }
    const width = Math.max(...lines.map(([n]) => n.length));
    out.write(`${pkh}\n${lines.map(([n, v]) => `  ${n.padEnd(width + 2)}${v}\n`).join('')}`);
  }
}

/** `--window`: one of the key's cap windows (by duration: `60m` is `1h`), or `all`. */
function pickWindow(text: string, caps: readonly { window: string; windowSeconds: number }[]): number | undefined {
  if (text === 'all') return undefined;
  const parsed = parseWindow(text);
  const found = parsed.ok ? caps.find((c) => c.windowSeconds === parsed.value) : undefined;
  if (found === undefined) {
    throw new SignatoryError(
      'bad_request',
      `--window ${JSON.stringify(text)} is not a spend window of this key: use ${caps.map((c) => c.window).join(', ')} or all`,
    );
  }
  return found.windowSeconds;
}
