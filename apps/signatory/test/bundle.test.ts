import { execFile } from 'node:child_process';
import { appendFile, copyFile, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { verifySignature } from '@taquito/utils';
import { startDynalite, startPostgres } from '@signatory-ts/dev-servers';
import { block } from './payloads';
import { bundleInto, nodeModulesAbove } from './bundled';
import { spawnKmsLocal, type SpawnedKmsLocal } from '@signatory-ts/kms-local';
import { createKeys, run, stop, writeConfig, type KmsKey, type Proc } from './processes';

// `npm run bundle`'s files copied alone to a temporary directory (no node_modules reachable from it),
// run with `node` against a real kms-local: the daemon signs (file watermark, native lock) and the CLI lists.
let dir: string;
let bundle: string;
let kms: SpawnedKmsLocal;
let keys: KmsKey[];
let configFile: string;
let daemon: Proc | undefined;

const execNode = (args: string[]) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, args, { cwd: bundle, timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'signatory-bundle-'));
  bundle = path.join(dir, 'bundle');
  bundleInto(bundle);
  kms = await spawnKmsLocal({ dir: path.join(dir, 'kms') });
  keys = await createKeys(kms.url, ['ECC_NIST_P256']);
  configFile = path.join(dir, 'signatory.yaml');
  await writeConfig(configFile, { baseDir: path.join(dir, 'base'), kmsUrl: kms.url, keys });
}, 180_000); // esbuild takes about a second, many more on a loaded machine
afterAll(async () => {
  await stop(daemon, 'SIGKILL');
  await kms.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('the bundle (npm run bundle)', () => {
  it('is one file per app plus the lock binaries, with no node_modules reachable', async () => {
    expect(nodeModulesAbove(bundle)).toBeUndefined();
    const files = (await readdir(bundle)).filter((f) => !f.endsWith('.LEGAL.txt')).sort();
    expect(files).toEqual(['kms-local.js', 'prebuilds', 'signatory-cli.js', 'signatory.js']);
    expect((await readdir(path.join(bundle, 'prebuilds'))).sort()).toEqual(
      ['darwin-arm64', 'darwin-x64', 'fs-native-extensions.LICENSE', 'linux-arm64', 'linux-x64'].sort(),
    );
  });

  it('runs the daemon with node alone: signs a block, refuses a double bake through the file watermark, stops cleanly', async () => {
    daemon = run([path.join(bundle, 'signatory.js'), 'serve', '-c', configFile], 'stderr');
    const m = await daemon.waitFor(/msg="HTTP server is listening for connections on (\S+)"/);
    const u = await daemon.waitFor(/Utility HTTP server is listening for connections on (\S+)"/);
    const url = `http://${m[1]}`;
    const key = keys[0]!;
    const sign = async (hex: string) => {
      const r = await fetch(`${url}/keys/${key.pkh}`, { method: 'POST', body: JSON.stringify(hex) });
      return { status: r.status, text: await r.text() };
    };
    const first = await sign(block(10, 0));
    expect(first.status).toBe(200);
    expect(verifySignature(block(10, 0), key.publicKey, (JSON.parse(first.text) as { signature: string }).signature)).toBe(true);
    // same level and round, other payload: only a watermark store that locked and persisted refuses it
    expect((await sign(block(10, 0, 1))).status).toBe(409);
    expect((await fetch(`http://${u[1]}/healthz`)).status).toBe(200);
    // the process warning the AWS SDK prints on an old Node is one line of ours, not stray stderr text
    expect(daemon.lines.every((l) => l.startsWith('time=') || l.startsWith('{'))).toBe(true);
    daemon.child.kill('SIGTERM');
    expect(await daemon.exited).toBe(0);
  });

  it.each([
    ['postgres', 'b0000001'],
    ['aws', 'b0000002'],
  ])('runs the daemon with the %s watermark store (HA) from the bundle: signs, refuses a double bake', async (driver, chain) => {
    const file = path.join(dir, `${driver}.yaml`);
    await copyFile(configFile, file);
    let server: { stop(): Promise<void> };
    if (driver === 'postgres') {
      const pg = await startPostgres({ durable: false });
      server = pg;
      await appendFile(file, `watermark:\n  driver: postgres\n  config:\n    url: ${pg.url}\n    table: bundle_watermark\n`);
    } else {
      const dynalite = await startDynalite();
      server = dynalite;
      await appendFile(
        file,
        `watermark:\n  driver: aws\n  config:\n    table: bundle_watermark\n    region: us-east-1\n    endpoint: ${dynalite.endpoint}\n` +
          '    access_key_id: AKIDDYNAMO\n    secret_access_key: dynamo-secret-value\n',
      );
    }
    const p = run([path.join(bundle, 'signatory.js'), 'serve', '-c', file], 'stderr');
    try {
      const m = await p.waitFor(/msg="HTTP server is listening for connections on (\S+)"/);
      expect(p.lines.join('\n')).toMatch(new RegExp(`Initializing watermark backend.*backend=${driver}`));
      const sign = async (hex: string) =>
        (await fetch(`http://${m[1]}/keys/${keys[0]!.pkh}`, { method: 'POST', body: JSON.stringify(hex) })).status;
      expect(await sign(block(5, 0, 0, chain))).toBe(200);
      expect(await sign(block(5, 0, 1, chain))).toBe(409);
    } finally {
      await stop(p);
      await server.stop();
    }
  });

  it('runs the CLI with node alone: lists the key and shows the watermark the daemon stored', async () => {
    const list = await execNode([path.join(bundle, 'signatory-cli.js'), 'list', '-c', configFile]);
    expect(list.stderr).not.toMatch(/Cannot find module/);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain(keys[0]!.pkh);
    const show = await execNode([path.join(bundle, 'signatory-cli.js'), 'watermark', 'show', '--json', '-c', configFile]);
    expect(show.code).toBe(0);
    expect(show.stdout).toContain(keys[0]!.pkh);
    expect(show.stdout).toMatch(/"level":\s*10/);
  });
});
