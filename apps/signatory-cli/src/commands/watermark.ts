import {
  b58Decode,
  CONSENSUS_KINDS,
  PKH_PREFIXES,
  SignatoryError,
  watermarkKind,
  type ConsensusKind,
  type Mark,
  type Slot,
} from '@signatory-ts/core';
import { FileWatermarkStore } from '@signatory-ts/watermark';
import { loadContext, type Context, type GlobalOptions } from '../context';
import type { Out } from '../output';

export interface ShowOptions extends GlobalOptions {
  json?: boolean;
}

export interface ResetOptions extends GlobalOptions {
  chain: string;
  pkh: string;
  kind: string;
  force?: boolean;
}

/** The store the config names. Only the file store keeps anything between runs. */
function fileStore(ctx: Context): FileWatermarkStore {
  if (ctx.config.watermark.driver !== 'file') {
    throw new SignatoryError(
      'bad_request',
      `watermark: ${ctx.config.file} uses the ${ctx.config.watermark.driver} watermark driver, which keeps nothing between runs: there is nothing to show or reset`,
    );
  }
  return new FileWatermarkStore({ baseDir: ctx.config.baseDir });
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]! + 2))).join('') + '\n').join('');
}

/** `signatory-cli watermark show`: every slot of the file store (chain, pkh, kind, level, round). */
export async function watermarkShow(opts: ShowOptions, out: Out = process.stdout): Promise<void> {
  const ctx = await loadContext(opts);
  const store = fileStore(ctx);
  const slots: [Slot, Mark][] = [];
  for await (const entry of store.list()) slots.push(entry);
  if (opts.json) {
    const rows = slots.map(([s, m]) => ({ chain: s.chainId, pkh: s.pkh, kind: s.kind, level: m.level, round: m.round }));
    out.write(JSON.stringify(rows, null, 2) + '\n');
    return;
  }
  if (slots.length === 0) {
    ctx.log.info('no watermarks stored', { dir: store.dir });
    return;
  }
  out.write(
    table([
      ['CHAIN', 'PKH', 'KIND', 'LEVEL', 'ROUND'],
      ...slots.map(([s, m]) => [s.chainId, s.pkh, s.kind, String(m.level), String(m.round)]),
    ]),
  );
}

/**
 * `signatory-cli watermark reset --chain --pkh --kind --force`: removes one exact slot, so the
 * signer will sign that slot again at any level. Without --force it changes nothing.
 */
export async function watermarkReset(opts: ResetOptions, out: Out = process.stdout): Promise<void> {
  if (!(CONSENSUS_KINDS as readonly string[]).includes(opts.kind)) {
    throw new SignatoryError('bad_request', `--kind must be one of ${CONSENSUS_KINDS.join(', ')}, got ${JSON.stringify(opts.kind)}`);
  }
  try {
    b58Decode(opts.pkh, PKH_PREFIXES);
  } catch (e) {
    throw new SignatoryError('bad_request', `--pkh: ${(e as Error).message}`);
  }
  const ctx = await loadContext(opts);
  const store = fileStore(ctx);
  const slot: Slot = { chainId: opts.chain, pkh: opts.pkh, kind: watermarkKind(opts.kind as ConsensusKind) };
  const mark = await store.get(slot);
  const name = `${slot.chainId} ${slot.pkh} ${slot.kind}`;
  if (mark === undefined) throw new SignatoryError('bad_request', `watermark reset: no watermark stored for ${name}`);
  const what = `${name} (level ${mark.level}, round ${mark.round})`;
  if (!opts.force) {
    throw new SignatoryError(
      'bad_request',
      `watermark reset: would remove ${what}; after that the signer signs this slot at ANY level, which can double-bake or double-attest. Stop every signer using ${ctx.config.baseDir}, make sure the key is not signing elsewhere, then repeat with --force`,
    );
  }
  if (!(await store.reset(slot))) throw new SignatoryError('bad_request', `watermark reset: no watermark stored for ${name}`);
  ctx.log.warn('watermark reset', {
    chain: slot.chainId,
    pkh: slot.pkh,
    kind: slot.kind,
    level: String(mark.level),
    round: String(mark.round),
  });
  out.write(`removed ${what}\n`);
}
