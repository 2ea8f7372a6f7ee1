import type { Config } from '@signatory-ts/config';
import { PKH_PREFIXES, SignatoryError, type Mark, type Slot } from '@signatory-ts/core';
import { openWatermarkStore, type WatermarkStore } from '@signatory-ts/watermark';
import { loadContext, type GlobalOptions } from '../context';
import type { Out } from '../output';
import { checkBase58, watermarkKindOf } from './watermark-format';

export interface ShowOptions extends GlobalOptions {
  json?: boolean;
}

export interface ResetOptions extends GlobalOptions {
  chain: string;
  pkh: string;
  kind: string;
  force?: boolean;
}

/** How messages name the store `config` uses: base_dir for the file store, else the driver and the config file. */
export function storeLabel(config: Pick<Config, 'file' | 'baseDir' | 'watermark'>): string {
  return config.watermark.driver === 'file'
    ? `the file store in base_dir ${config.baseDir}`
    : `the ${config.watermark.driver} watermark store of ${config.file}`;
}

/**
 * The store `config` names, opened as the daemon opens it (openWatermarkStore), so the CLI sees the
 * signer's marks whatever the driver. `mem` keeps nothing between runs: there is nothing to work on.
 * Only `import` may create a table (`create_table`, as the daemon): `show`, `export` and `reset` work on
 * marks that exist, whatever `create_table` says, and name a missing table as missing.
 */
export async function openStore(config: Config, command: string, table: 'existing' | 'create'): Promise<WatermarkStore> {
  if (config.watermark.driver === 'mem') {
    throw new SignatoryError(
      'bad_request',
      `${command}: ${config.file} uses the mem watermark driver, which keeps nothing between runs: there is nothing to ${command.split(' ')[1]}. ` +
        'Point --config at the configuration of the signer whose marks you mean',
    );
  }
  if (table === 'create') return openWatermarkStore(config);
  const w = config.watermark;
  const readOnly: Config['watermark'] =
    w.driver === 'aws'
      ? { ...w, config: { ...w.config, createTable: false } }
      : w.driver === 'postgres'
        ? { ...w, postgres: { ...w.postgres, createTable: false } }
        : w;
  try {
    return await openWatermarkStore({ ...config, watermark: readOnly });
  } catch (e) {
    if (readOnly === w || !(e instanceof SignatoryError && /does not exist/.test(e.message))) throw e;
    throw new SignatoryError(
      e.code,
      `${e.message} (${command} never creates it: there are no marks in it until a signer or an import has written some)`,
      { cause: e },
    );
  }
}

/** Every slot of `store` with its mark, or a clear error if the store cannot list them. */
export async function listSlots(store: WatermarkStore, label: string, command: string): Promise<[Slot, Mark][]> {
  if (store.list === undefined) throw new SignatoryError('bad_request', `${command}: ${label} cannot list its marks`);
  const slots: [Slot, Mark][] = [];
  for await (const entry of store.list()) slots.push(entry);
  return slots;
}

/** Rows as aligned columns, the first row the header. */
export function formatTable(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]! + 2))).join('') + '\n').join('');
}

/** `signatory-cli watermark show`: every slot of the configured store (chain, pkh, kind, level, round). */
export async function watermarkShow(opts: ShowOptions, out: Out = process.stdout): Promise<void> {
  const ctx = await loadContext(opts);
  const store = await openStore(ctx.config, 'watermark show', 'existing');
  try {
    const slots = await listSlots(store, storeLabel(ctx.config), 'watermark show');
    if (opts.json) {
      const rows = slots.map(([s, m]) => ({ chain: s.chainId, pkh: s.pkh, kind: s.kind, level: m.level, round: m.round }));
      out.write(JSON.stringify(rows, null, 2) + '\n');
      return;
    }
    if (slots.length === 0) {
      ctx.log.info('no watermarks stored', { store: storeLabel(ctx.config) });
      return;
    }
    out.write(
      formatTable([
        ['CHAIN', 'PKH', 'KIND', 'LEVEL', 'ROUND'],
        ...slots.map(([s, m]) => [s.chainId, s.pkh, s.kind, String(m.level), String(m.round)]),
      ]),
    );
  } finally {
    await store.close?.();
  }
}

/**
 * `signatory-cli watermark reset --chain --pkh --kind --force`: removes one exact slot, so the
 * signer will sign that slot again at any level. Without --force it changes nothing.
 */
export async function watermarkReset(opts: ResetOptions, out: Out = process.stdout): Promise<void> {
  const slot = slotOf(opts);
  const ctx = await loadContext(opts);
  const label = storeLabel(ctx.config);
  const store = await openStore(ctx.config, 'watermark reset', 'existing');
  try {
    if (store.reset === undefined) throw new SignatoryError('bad_request', `watermark reset: ${label} cannot reset a mark`);
    const mark = await store.get(slot);
    const name = `${slot.chainId} ${slot.pkh} ${slot.kind}`;
    if (mark === undefined) throw new SignatoryError('bad_request', `watermark reset: no watermark stored for ${name} in ${label}`);
    const what = `${name} (level ${mark.level}, round ${mark.round})`;
    if (!opts.force) {
      throw new SignatoryError(
        'bad_request',
        `watermark reset: would remove ${what} from ${label}; after that the signer signs this slot at ANY level, which can double-bake or double-attest. ` +
          `Stop every signer using ${label}, make sure the key is not signing elsewhere, then repeat with --force`,
      );
    }
    if (!(await store.reset(slot))) throw new SignatoryError('bad_request', `watermark reset: no watermark stored for ${name} in ${label}`);
    ctx.log.warn('watermark reset', {
      store: store.name,
      chain: slot.chainId,
      pkh: slot.pkh,
      kind: slot.kind,
      level: String(mark.level),
      round: String(mark.round),
    });
    out.write(`removed ${what}\n`);
  } finally {
    await store.close?.();
  }
}

/** The slot --chain, --pkh and --kind name, checked before any store is opened. */
function slotOf(opts: ResetOptions): Slot {
  try {
    const kind = watermarkKindOf(opts.kind, '--kind');
    checkBase58(opts.pkh, PKH_PREFIXES, '--pkh');
    checkBase58(opts.chain, ['Net'], '--chain');
    return { chainId: opts.chain, pkh: opts.pkh, kind };
  } catch (e) {
    throw new SignatoryError('bad_request', (e as Error).message);
  }
}
