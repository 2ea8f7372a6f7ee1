import { existsSync, statSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { loadConfig } from '@signatory-ts/config';
import { compareWatermark, SignatoryError, slotKey, type Mark, type Slot } from '@signatory-ts/core';
import { FileWatermarkStore, NO_SIGNATURE, type WatermarkStore } from '@signatory-ts/watermark';
import { loadContext, type GlobalOptions } from '../context';
import type { Out } from '../output';
import { formatTable, listSlots, openStore, storeLabel } from './watermark';
import { checkEntry, formatExport, parseExport, type ImportEntry, type RefusedEntry } from './watermark-format';

export interface ExportOptions extends GlobalOptions {
  out?: string;
}

export interface ImportOptions extends GlobalOptions {
  /** An export file (`watermark export`). */
  from?: string;
  /** Another signatory.yaml: every mark of the store it names. */
  fromConfig?: string;
  /** Go Signatory's base_dir (or its watermark_v2 directory). */
  fromGoDir?: string;
  /** Write; without it the command only says what it would do. */
  apply?: boolean;
}

/**
 * The digest an imported mark is stored with when its source did not know it (Go Signatory's
 * `hash: null`). It never equals a real request's blake2b-256, and an imported mark is never
 * replayed anyway: it only makes the level and round count.
 */
const UNKNOWN_DIGEST = new Uint8Array(32);

/** `signatory-cli watermark export [--out FILE]`: every mark of the configured store as JSON (watermark-format.ts). */
export async function watermarkExport(opts: ExportOptions, out: Out = process.stdout): Promise<void> {
  const ctx = await loadContext(opts);
  const label = storeLabel(ctx.config);
  const store = await openStore(ctx.config, 'watermark export', 'existing');
  let slots: [Slot, Mark][];
  try {
    slots = await listSlots(store, label, 'watermark export');
  } finally {
    await store.close?.();
  }
  const unknownAsNull = slots.map(([s, m]): [Slot, Mark] => [s, isUnknown(m.digest) ? { level: m.level, round: m.round } : m]);
  const text = formatExport(store.name, unknownAsNull);
  if (opts.out === undefined) {
    out.write(text);
    return;
  }
  try {
    await writeFile(opts.out, text, { flag: 'wx', mode: 0o640 }); // never overwrites an earlier export
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new SignatoryError(
      'bad_request',
      `watermark export: cannot write ${opts.out}: ${err.code === 'EEXIST' ? 'the file exists (choose another name or remove it)' : err.message}`,
    );
  }
  ctx.log.info('watermarks exported', { store: label, file: opts.out, marks: String(slots.length) });
}

function isUnknown(digest: Uint8Array | undefined): boolean {
  return digest !== undefined && digest.every((b) => b === 0);
}

/**
 * `signatory-cli watermark import (--from FILE | --from-config other.yaml | --from-go-dir DIR) [--apply]`.
 * Raises marks of the configured store, never lowers one: each goes through the store's own
 * compare-and-set commit, so it is safe while signers run. An imported mark carries no signature
 * (NO_SIGNATURE), so an identical request at its level and round is refused, never replayed.
 * Without --apply it writes nothing and says what it would raise. Exits non-zero if an entry was refused.
 */
export async function watermarkImport(opts: ImportOptions, out: Out = process.stdout): Promise<void> {
  const sources = [opts.from, opts.fromConfig, opts.fromGoDir].filter((s) => s !== undefined);
  if (sources.length !== 1) {
    throw new SignatoryError(
      'bad_request',
      "watermark import: give exactly one source: --from FILE (a watermark export), --from-config OTHER.yaml (the store it names) or --from-go-dir DIR (Go Signatory's base_dir)",
    );
  }
  const ctx = await loadContext(opts);
  const { entries, refused, source } = await readSource(opts);
  const label = storeLabel(ctx.config);
  const target = await openStore(ctx.config, 'watermark import', 'create');
  const rows: string[][] = [];
  const counts = { raised: 0, kept: 0 };
  const report = () => {
    if (entries.length === 0 && refused.length === 0) out.write(`${source} holds no marks: nothing to import\n`);
    if (rows.length > 0) out.write(formatTable([['ACTION', 'CHAIN', 'PKH', 'KIND', 'LEVEL/ROUND', 'STORE'], ...rows]));
    for (const r of refused) out.write(`refused  ${r.from}: ${r.why}\n`);
    const verb = opts.apply ? ['raised', 'kept'] : ['to raise', 'to keep'];
    out.write(
      `${counts.raised} ${verb[0]}, ${counts.kept} ${verb[1]}, ${refused.length} refused; from ${source} into ${label}\n` +
        (opts.apply ? '' : 'dry run: nothing was written; repeat with --apply to raise these marks\n'),
    );
  };
  try {
    const planned = new Map<string, Mark>(); // dry run: marks this run would have raised
    for (const e of entries) {
      const next = { level: e.level, round: e.round, digest: e.digest ?? UNKNOWN_DIGEST, signature: NO_SIGNATURE };
      const row = (action: string, store: string) => rows.push([action, e.slot.chainId, e.slot.pkh, e.slot.kind, at(e), store]);
      try {
        const before = planned.get(slotKey(e.slot)) ?? (await target.get(e.slot));
        if (!opts.apply) {
          if (compareWatermark(before, next) === 'advance') {
            planned.set(slotKey(e.slot), next);
            counts.raised++;
            row('raise', `was ${at(before)}`);
          } else {
            counts.kept++;
            row('keep', `has ${at(before)}`);
          }
          continue;
        }
        const r = await target.commit(e.slot, next);
        if (r.status === 'committed') {
          counts.raised++;
          row('raised', `was ${at(before)}`);
        } else {
          counts.kept++;
          row('kept', `has ${at(r.status === 'rejected' ? r.stored : next)}`);
        }
      } catch (err) {
        if ((err as SignatoryError).code !== 'bad_request') throw err;
        refused.push({ from: e.from, why: (err as Error).message }); // the store refuses this entry only
      }
    }
  } catch (err) {
    report();
    throw new SignatoryError(
      'internal',
      `watermark import stopped: ${(err as Error).message}. The marks listed above as raised are stored; importing again is safe (it only raises)`,
      { cause: err },
    );
  } finally {
    await target.close?.();
  }
  report();
  if (opts.apply && counts.raised > 0) ctx.log.warn('watermarks imported', { store: label, source, raised: String(counts.raised) });
  if (refused.length > 0) {
    throw new SignatoryError(
      'bad_request',
      `watermark import: ${refused.length} ${refused.length === 1 ? 'entry was' : 'entries were'} refused (listed above); fix or remove them, then import again`,
    );
  }
}

const at = (m: { level: number; round: number } | undefined) => (m === undefined ? 'none' : `${m.level}/${m.round}`);

/** The marks of the one source the options name, validated, with the entries refused and a label for messages. */
async function readSource(opts: ImportOptions): Promise<{ entries: ImportEntry[]; refused: RefusedEntry[]; source: string }> {
  if (opts.from !== undefined) {
    let text: string;
    try {
      text = await readFile(opts.from, 'utf8');
    } catch (e) {
      throw new SignatoryError('bad_request', `watermark import: cannot read --from ${opts.from}: ${(e as Error).message}`);
    }
    return { ...parseExport(text, opts.from), source: `export file ${opts.from}` };
  }
  if (opts.fromConfig !== undefined) {
    const config = await loadConfig(opts.fromConfig);
    const label = storeLabel(config);
    const store = await openStore(config, 'watermark import', 'existing');
    try {
      return { ...fromSlots(await listSlots(store, label, 'watermark import'), (s) => `${s.chainId}/${s.pkh}/${s.kind}`), source: label };
    } finally {
      await store.close?.();
    }
  }
  const baseDir = goBaseDir(opts.fromGoDir!);
  const store: WatermarkStore = new FileWatermarkStore({ baseDir });
  const dir = path.join(baseDir, 'watermark_v2');
  const slots = await listSlots(store, `Go Signatory's files in ${dir}`, 'watermark import');
  return { ...fromSlots(slots, (s) => `${s.chainId}.json ${s.pkh} ${s.kind}`), source: `Go Signatory's files in ${dir}` };
}

function fromSlots(slots: readonly [Slot, Mark][], where: (s: Slot) => string): { entries: ImportEntry[]; refused: RefusedEntry[] } {
  const entries: ImportEntry[] = [];
  const refused: RefusedEntry[] = [];
  for (const [slot, mark] of slots) {
    try {
      entries.push(checkEntry(slot, mark.level, mark.round, isUnknown(mark.digest) ? undefined : mark.digest, where(slot)));
    } catch (e) {
      refused.push({ from: where(slot), why: (e as Error).message });
    }
  }
  return { entries, refused };
}

/** Go Signatory's base_dir from `dir`: the base_dir itself or its watermark_v2 directory. */
function goBaseDir(dir: string): string {
  const isDir = (p: string) => existsSync(p) && statSync(p).isDirectory();
  if (isDir(path.join(dir, 'watermark_v2'))) return dir;
  if (path.basename(path.resolve(dir)) === 'watermark_v2' && isDir(dir)) return path.dirname(path.resolve(dir));
  throw new SignatoryError(
    'bad_request',
    `watermark import: --from-go-dir ${dir}: no watermark_v2 directory there; give Go Signatory's base_dir (the directory holding watermark_v2/<chain-id>.json)`,
  );
}
