/**
 * `watermark export` and `watermark import` through the built CLI: every store of
 * apps/signatory/test/stores.ts as source and as target, a second file store on the other side, and Go
 * Signatory's watermark_v2 files written byte for byte as Go writes them.
 */
import { appendFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '@signatory-ts/config';
import { b58Encode, blake2b256, fromHex, type Slot } from '@signatory-ts/core';
import { openWatermarkStore, signWithWatermark, type SignedMark, type WatermarkStore } from '@signatory-ts/watermark';
import { runCli, tempDir, writeConfig, type Run } from './harness';
import { STORE_SETUPS, type RunningStore } from '../../signatory/test/stores';

// each test runs the CLI (a process loading the AWS SDK) several times in a row, against three stores: on a loaded CI
// machine one run can take seconds, and a test then outlasts jest's default 60 s
jest.setTimeout(180_000);

const CHAIN = 'NetXo5iVw1vBoxM';
const PKH = 'tz1WGcYos3hL7GXYXjKrMnSFdkT7FyXnFBvf';
const PKH2 = 'tz1LggX2HUdvJ1tF4Fvv8fjsrzLeW4Jr9t2Q';
const slot = (kind: Slot['kind'], pkh = PKH): Slot => ({ chainId: CHAIN, pkh, kind });
const digest = (tag: string) => blake2b256(Buffer.from(tag));
const signed = (level: number, round: number, tag = `${level}/${round}`) => ({
  level,
  round,
  digest: digest(tag),
  signature: `sig-${tag}`,
});

/** Go Signatory's C2 (integration_test watermark_test.go): a preattestation at level 34, round 4, and its hash. */
const C2 =
  '12b3d79f993222f293d2f293230ec36b0bef1caead619f1a7206ff54a0c198f07ae25bb151140014000000220000000458335430566f4b95401c110f33e74d3a324f83ad6003ed9d5e93ce617fa11e44';
const C2_HASH = 'vh1mTiEJuJiyimZf5sctgbnHBTLFthMVRNbiViYpLDMGK79TzUwB';

interface Side {
  config: string;
  store: WatermarkStore;
}
const opened: Side[] = [];
const dirs: string[] = [];

/** A config (own base_dir) whose `watermark:` block is `yaml`, and its store opened as the daemon opens it. */
async function side(yaml: string): Promise<Side> {
  const dir = tempDir('cli-wm-x-');
  dirs.push(dir);
  const config = writeConfig(dir, { url: 'http://127.0.0.1:9' });
  appendFileSync(config, yaml);
  const s = { config, store: await openWatermarkStore(await loadConfig(config)) };
  opened.push(s);
  return s;
}
const FILE_YAML = 'watermark:\n  driver: file\n';

afterEach(async () => {
  for (const s of opened.splice(0)) await s.store.close?.();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/**
 * `watermark export --out` (the built CLI) of a file store holding `marks`. Each store row imports the same file-store
 * source, so the export is made once, at its first use, and shared by the rows; `name` names the source.
 */
const sharedExports = new Map<string, Promise<{ run: Run; file: string }>>();
const exportDirs: string[] = [];
function exportOf(name: string, marks: [Slot, SignedMark][]): Promise<{ run: Run; file: string }> {
  let made = sharedExports.get(name);
  if (made === undefined) {
    made = (async () => {
      const dir = tempDir('cli-wm-src-');
      exportDirs.push(dir);
      const config = writeConfig(dir, { url: 'http://127.0.0.1:9' });
      appendFileSync(config, FILE_YAML);
      const store = await openWatermarkStore(await loadConfig(config));
      try {
        for (const [s, mark] of marks) await store.commit(s, mark);
      } finally {
        await store.close?.();
      }
      const file = path.join(dir, 'marks.json');
      return { run: await runCli(['watermark', 'export', '-c', config, '--out', file]), file };
    })();
    sharedExports.set(name, made);
  }
  return made;
}
afterAll(() => {
  for (const d of exportDirs) rmSync(d, { recursive: true, force: true });
});

describe.each(STORE_SETUPS)('signatory-cli watermark export|import on the $name store', (setup) => {
  let running: RunningStore;
  let n = 0;
  const fresh = () => side(running.yaml(`xfer_${process.pid}_${++n}`));
  beforeAll(async () => {
    running = await setup.start();
  });
  afterAll(async () => {
    await running.stop();
  });

  it('export prints every mark in the documented, versioned format; --out writes a new file and never overwrites one', async () => {
    const src = await fresh();
    await src.store.commit(slot('block'), signed(1200, 0));
    await src.store.commit(slot('attestation', PKH2), signed(1201, 2));
    const out = path.join(dirs[0]!, 'marks.json');
    // to stdout and to a new file at once (both only read the store)
    const [r, written] = await Promise.all([
      runCli(['watermark', 'export', '-c', src.config]),
      runCli(['watermark', 'export', '-c', src.config, '--out', out]),
    ]);
    expect(r.code).toBe(0);
    const file = JSON.parse(r.stdout);
    expect(file).toMatchObject({ format: 'signatory-ts/watermarks', version: 1, store: setup.name });
    expect(new Date(file.exported_at).getTime()).not.toBeNaN();
    expect(file.marks).toEqual([
      { chain: CHAIN, pkh: PKH2, kind: 'attestation', level: 1201, round: 2, digest: b58Encode('vh', digest('1201/2')) },
      { chain: CHAIN, pkh: PKH, kind: 'block', level: 1200, round: 0, digest: b58Encode('vh', digest('1200/0')) },
    ]);
    expect(r.stdout).not.toContain('sig-'); // signatures are not exported
    expect(written.code).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8')).marks).toEqual(file.marks);
    const again = await runCli(['watermark', 'export', '-c', src.config, '--out', out]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('the file exists');
  });

  it('import from an export file: a dry run writes nothing; --apply raises, keeps higher marks, never lowers one', async () => {
    const { run, file: exported } = await exportOf('block 100/0, preattestation 50/3, attestation 40/0', [
      [slot('block'), signed(100, 0)],
      [slot('preattestation'), signed(50, 3)],
      [slot('attestation'), signed(40, 0)],
    ]);
    expect(run.code).toBe(0);

    const dst = await fresh();
    await dst.store.commit(slot('preattestation'), signed(60, 0, 'dst-pre')); // above the export: kept
    await dst.store.commit(slot('attestation'), signed(40, 0, 'dst-att')); // equal, other bytes: kept
    const dry = await runCli(['watermark', 'import', '-c', dst.config, '--from', exported]);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(new RegExp(`^raise\\s+${CHAIN}\\s+${PKH}\\s+block\\s+100/0\\s+was none$`, 'm'));
    expect(dry.stdout).toMatch(/^keep\s+\S+\s+\S+\s+preattestation\s+50\/3\s+has 60\/0$/m);
    expect(dry.stdout).toMatch(/^keep\s+\S+\s+\S+\s+attestation\s+40\/0\s+has 40\/0$/m);
    expect(dry.stdout).toContain('1 to raise, 2 to keep, 0 refused');
    expect(dry.stdout).toContain('dry run: nothing was written; repeat with --apply');
    expect(await dst.store.get(slot('block'))).toBeUndefined();

    const applied = await runCli(['watermark', 'import', '-c', dst.config, '--from', exported, '--apply']);
    expect(applied.code).toBe(0);
    expect(applied.stdout).toMatch(/^raised\s+\S+\s+\S+\s+block\s+100\/0\s+was none$/m);
    expect(applied.stdout).toContain('1 raised, 2 kept, 0 refused');
    expect(await dst.store.get(slot('block'))).toMatchObject({ level: 100, round: 0 });
    expect(await dst.store.get(slot('preattestation'))).toMatchObject({ level: 60, round: 0, signature: 'sig-dst-pre' });
    expect(await dst.store.get(slot('attestation'))).toMatchObject({ level: 40, round: 0, signature: 'sig-dst-att' });

    const twice = await runCli(['watermark', 'import', '-c', dst.config, '--from', exported, '--apply']);
    expect(twice.stdout).toContain('0 raised, 3 kept, 0 refused');
  });

  it('an imported mark is never replayed: the identical request at its level and round is refused without signing', async () => {
    const { file: exported } = await exportOf('preattestation C2', [
      [slot('preattestation'), { level: 34, round: 4, digest: blake2b256(fromHex(C2)), signature: 'sig-src' }],
    ]);
    const dst = await fresh();
    expect((await runCli(['watermark', 'import', '-c', dst.config, '--from', exported, '--apply'])).code).toBe(0);
    const stored = await dst.store.get(slot('preattestation'));
    expect(stored).toMatchObject({ level: 34, round: 4 });
    expect(stored!.signature ?? '').toBe(''); // no signature was released here
    let calls = 0;
    const r = await signWithWatermark(
      dst.store,
      slot('preattestation'),
      { level: 34, round: 4, digest: blake2b256(fromHex(C2)) },
      async () => {
        calls++;
        return 'must-not-sign';
      },
    );
    expect(r.status).toBe('rejected');
    expect(calls).toBe(0);
    // the next round is signed as usual
    const next = await signWithWatermark(
      dst.store,
      slot('preattestation'),
      { level: 34, round: 5, digest: digest('r5') },
      async () => 'sig-r5',
    );
    expect(next).toEqual({ status: 'signed', signature: 'sig-r5' });
  });

  it('import --apply while a signer commits on the same store: the mark only goes up, and the signer signs on above it', async () => {
    const { file: exported } = await exportOf('block 300/0', [[slot('block'), signed(300, 0)]]);
    const dst = await fresh();
    const results: [number, string][] = [];
    let stopped = false;
    const signer = (async () => {
      for (let level = 1; !stopped; level++) {
        const r = await signWithWatermark(
          dst.store,
          slot('block'),
          { level, round: 0, digest: digest(`s${level}`) },
          async () => `sig${level}`,
        );
        results.push([level, r.status]);
      }
    })();
    const imported = await runCli(['watermark', 'import', '-c', dst.config, '--from', exported, '--apply']);
    stopped = true;
    await signer;
    expect(imported.code).toBe(0);
    const highestSigned = Math.max(0, ...results.filter(([, s]) => s === 'signed').map(([l]) => l));
    expect(await dst.store.get(slot('block'))).toMatchObject({ level: Math.max(300, highestSigned) });
    // once the import landed, nothing at or below its mark was signed
    const firstRefused = results.findIndex(([, s]) => s === 'rejected');
    if (firstRefused >= 0) expect(results.slice(firstRefused).every(([l, s]) => s === 'rejected' || l > 300)).toBe(true);
    const after = Math.max(300, highestSigned) + 1;
    expect(
      await signWithWatermark(dst.store, slot('block'), { level: after, round: 0, digest: digest('after') }, async () => 'sig-after'),
    ).toEqual({
      status: 'signed',
      signature: 'sig-after',
    });
  });

  it('refuses bad entries one by one (saying why), imports the rest, and exits non-zero', async () => {
    const dst = await fresh();
    const file = path.join(dirs[0]!, 'bad.json');
    const good = { chain: CHAIN, pkh: PKH, kind: 'block', level: 7, round: 1, digest: null };
    writeFileSync(
      file,
      JSON.stringify({
        format: 'signatory-ts/watermarks',
        version: 1,
        store: 'file',
        exported_at: '2026-01-01T00:00:00.000Z',
        marks: [
          good,
          { ...good, kind: 'transaction' },
          { ...good, pkh: 'tz1nope' },
          { ...good, chain: 'NetNope' },
          { ...good, level: -1 },
          { ...good, round: 1.5 },
          { ...good, digest: 'vhnope' },
          { ...good, kind: 'attestation_with_dal', level: 9 },
          { ...good, level: 2 ** 31 },
        ],
      }),
    );
    const r = await runCli(['watermark', 'import', '-c', dst.config, '--from', file, '--apply']);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('refused  marks[1]: kind must be one of block, preattestation, attestation, attestation_with_dal');
    expect(r.stdout).toMatch(/refused {2}marks\[2\]: pkh "tz1nope"/);
    expect(r.stdout).toMatch(/refused {2}marks\[3\]: chain "NetNope"/);
    expect(r.stdout).toContain('refused  marks[4]: level must be an integer from 0 to 2147483647, got -1');
    expect(r.stdout).toContain('refused  marks[5]: round must be an integer from 0 to 2147483647, got 1.5');
    expect(r.stdout).toContain('refused  marks[8]: level must be an integer from 0 to 2147483647, got 2147483648');
    expect(r.stdout).toMatch(/refused {2}marks\[6\]: digest/);
    expect(r.stdout).toContain('2 raised, 0 kept, 7 refused');
    expect(r.stderr).toContain('7 entries were refused (listed above)');
    expect(await dst.store.get(slot('block'))).toMatchObject({ level: 7, round: 1 });
    expect(await dst.store.get(slot('attestation'))).toMatchObject({ level: 9, round: 1 }); // attestation_with_dal is the attestation slot
  });

  it('refuses a file that is not an export, or a newer version, whole', async () => {
    const dst = await fresh();
    const file = (name: string, content: object) => {
      const f = path.join(dirs[0]!, name);
      writeFileSync(f, JSON.stringify(content));
      return f;
    };
    const goFile = file('x.json', { [PKH]: { block: { level: 1, round: 0, hash: null } } });
    const v2 = file('v2.json', { format: 'signatory-ts/watermarks', version: 2, marks: [] });
    const noMarks = file('empty.json', { format: 'signatory-ts/watermarks', version: 1, marks: [] });
    // four runs at once: none of them writes a mark, so their order does not matter
    const [notExport, newer, empty, none] = await Promise.all([
      runCli(['watermark', 'import', '-c', dst.config, '--from', goFile, '--apply']),
      runCli(['watermark', 'import', '-c', dst.config, '--from', v2, '--apply']),
      runCli(['watermark', 'import', '-c', dst.config, '--from', noMarks, '--apply']),
      runCli(['watermark', 'import', '-c', dst.config]),
    ]);
    expect(notExport.code).toBe(2);
    expect(notExport.stderr).toContain('is not a watermark export file');
    expect(newer.stderr).toContain('has version 2; this signatory-cli reads version 1');
    expect(empty.code).toBe(0);
    expect(empty.stdout).toContain(`export file ${noMarks} holds no marks: nothing to import`);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('give exactly one source');
    expect(await dst.store.get(slot('block'))).toBeUndefined();
  });

  it('import --from-config copies every mark of another store, both ways, only raising', async () => {
    const fileSide = await side(FILE_YAML);
    const storeSide = await fresh();
    await fileSide.store.commit(slot('block'), signed(500, 1));
    await fileSide.store.commit(slot('attestation', PKH2), signed(499, 0));
    await storeSide.store.commit(slot('block'), signed(501, 0, 'higher'));
    const into = await runCli(['watermark', 'import', '-c', storeSide.config, '--from-config', fileSide.config, '--apply']);
    expect(into.code).toBe(0);
    expect(into.stdout).toContain('1 raised, 1 kept, 0 refused');
    expect(await storeSide.store.get(slot('attestation', PKH2))).toMatchObject({ level: 499, round: 0 });
    expect(await storeSide.store.get(slot('block'))).toMatchObject({ level: 501, round: 0, signature: 'sig-higher' });

    const back = await runCli(['watermark', 'import', '-c', fileSide.config, '--from-config', storeSide.config, '--apply']);
    expect(back.code).toBe(0);
    expect(back.stdout).toContain('1 raised, 1 kept, 0 refused');
    expect(await fileSide.store.get(slot('block'))).toMatchObject({ level: 501, round: 0 });
  });

  it("import --from-go-dir reads Go Signatory's watermark_v2 files (DAL and legacy names, hash null) and raises the marks", async () => {
    const dst = await fresh();
    await dst.store.commit(slot('block', PKH2), signed(90, 0)); // above Go's: kept
    const goBase = tempDir('go-base-');
    dirs.push(goBase);
    mkdirSync(path.join(goBase, 'watermark_v2'));
    // as Go writes it: sorted keys, four-space indent, no trailing newline
    const goFile = {
      [PKH2]: { block: { level: 80, round: 0, hash: null } },
      [PKH]: {
        attestation: { level: 33, round: 0, hash: b58Encode('vh', digest('att')) },
        attestation_with_dal: { level: 34, round: 2, hash: b58Encode('vh', digest('dal')) },
        block: { level: 34, round: 4, hash: 'vh2QmrcNURnrNwT5HEJv6ZA8n2gfw1MzThoBHK7dgyJsjHmVJhvj' },
        preattestation: { level: 34, round: 4, hash: C2_HASH },
        preendorsement: { level: 20, round: 0, hash: null },
      },
    };
    writeFileSync(path.join(goBase, 'watermark_v2', `${CHAIN}.json`), JSON.stringify(goFile, null, 4));
    const r = await runCli(['watermark', 'import', '-c', dst.config, '--from-go-dir', goBase, '--apply']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('3 raised, 1 kept, 0 refused');
    expect(r.stdout).toContain(`from Go Signatory's files in ${path.join(goBase, 'watermark_v2')}`);
    expect(await dst.store.get(slot('attestation'))).toMatchObject({ level: 34, round: 2 }); // the DAL entry is higher
    expect(await dst.store.get(slot('preattestation'))).toMatchObject({ level: 34, round: 4 });
    expect(await dst.store.get(slot('block'))).toMatchObject({ level: 34, round: 4 });
    expect(await dst.store.get(slot('block', PKH2))).toMatchObject({ level: 90, round: 0 });
    // Go's C2 at the imported (34, 4) is refused, not replayed
    const c2 = await signWithWatermark(
      dst.store,
      slot('preattestation'),
      { level: 34, round: 4, digest: blake2b256(fromHex(C2)) },
      async () => 'x',
    );
    expect(c2.status).toBe('rejected');
    // the watermark_v2 directory itself is accepted too; a directory without one is refused
    // two dry runs at once (neither writes)
    const [again, wrong] = await Promise.all([
      runCli(['watermark', 'import', '-c', dst.config, '--from-go-dir', path.join(goBase, 'watermark_v2')]),
      runCli(['watermark', 'import', '-c', dst.config, '--from-go-dir', dirs[0]!]),
    ]);
    expect(again.stdout).toContain('0 to raise, 4 to keep, 0 refused');
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain("no watermark_v2 directory there; give Go Signatory's base_dir");
  });

  it('a mark whose digest is unknown (Go hash null) is imported and exported again with digest null', async () => {
    const goBase = tempDir('go-base-');
    dirs.push(goBase);
    mkdirSync(path.join(goBase, 'watermark_v2'));
    writeFileSync(
      path.join(goBase, 'watermark_v2', `${CHAIN}.json`),
      JSON.stringify({ [PKH]: { block: { level: 12, round: 3, hash: null } } }, null, 4),
    );
    const dst = await fresh();
    expect((await runCli(['watermark', 'import', '-c', dst.config, '--from-go-dir', goBase, '--apply'])).code).toBe(0);
    const r = await runCli(['watermark', 'export', '-c', dst.config]);
    expect(JSON.parse(r.stdout).marks).toEqual([{ chain: CHAIN, pkh: PKH, kind: 'block', level: 12, round: 3, digest: null }]);
  });
});
