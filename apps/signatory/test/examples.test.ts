import { execFile, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { load as parseYaml } from 'js-yaml';
import { loadConfig, SUPPORTED_WATERMARK_DRIVERS } from '@signatory-ts/config';
import { block } from './payloads';
import { bundleInto, REPO } from './bundled';
import { createKeys, run, stop, writeConfig, type KmsKey, type Proc } from './processes';

// examples/ and the Dockerfile, checked with real parts: every config through the config loader,
// the Dockerfile's COPY sources and its ENTRYPOINT/CMD/HEALTHCHECK run from `npm run bundle`'s
// output, the systemd unit through systemd-analyze and its command lines run the same way.
const EXAMPLES = path.join(REPO, 'examples');
let dir: string;
let bundle: string;
const procs: Proc[] = [];

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'signatory-examples-'));
  bundle = path.join(dir, 'bundle');
  bundleInto(bundle);
});
afterAll(async () => {
  for (const p of procs.reverse()) await stop(p);
  await rm(dir, { recursive: true, force: true });
});

/** Dockerfile instructions (continuation lines joined), by stage name. */
async function dockerfile(): Promise<Map<string, { op: string; args: string }[]>> {
  const text = (await readFile(path.join(REPO, 'Dockerfile'), 'utf8')).replace(/\\\n/g, ' ');
  const stages = new Map<string, { op: string; args: string }[]>();
  let current: { op: string; args: string }[] = [];
  for (const line of text.split('\n')) {
    const m = /^([A-Z]+)\s+(.*)$/.exec(line.trim());
    if (!m || line.trim().startsWith('#')) continue;
    const [, op, args] = m as unknown as [string, string, string];
    if (op === 'FROM') {
      current = [];
      stages.set(/\bAS\s+(\S+)/i.exec(args)?.[1] ?? args, current);
    }
    current.push({ op, args });
  }
  return stages;
}
const json = (args: string) => JSON.parse(args) as string[];
/** `exec` form arguments with the image's paths moved to this test's bundle and config. */
const relocate = (args: string[], config: string) =>
  args.map((a) =>
    a
      .replace(/^\/opt\/(signatory|kms-local)\//, `${bundle}/`)
      .replace('/etc/signatory/signatory.yaml', config)
      .replace(/^0\.0\.0\.0$/, '127.0.0.1')
      .replace(/^4566$/, '0'),
  );

describe('example configs', () => {
  const files = ['baker.yaml', 'payout.yaml', 'custodian.yaml', 'docker.yaml', 'ha-postgres.yaml', 'ha-dynamodb.yaml'];

  it('are the ones listed here', async () => {
    expect((await readdir(path.join(EXAMPLES, 'configs'))).sort()).toEqual([...files].sort());
  });

  it.each(files)('%s loads through the config loader (a store not in this build: its exact error)', async (name) => {
    const file = path.join(EXAMPLES, 'configs', name);
    const driver = (parseYaml(await readFile(file, 'utf8')) as { watermark?: { driver: string } }).watermark?.driver ?? 'file';
    const load = () => loadConfig(file, { env: { PGPASSWORD: 'example' } });
    if ((SUPPORTED_WATERMARK_DRIVERS as readonly string[]).includes(driver)) {
      const config = await load();
      expect(config.watermark.driver).toBe(driver);
      expect(config.vaults.size).toBe(1);
    } else {
      // a store this build does not have: the loader says so exactly
      const lines = (await readFile(file, 'utf8')).split('\n');
      const line = lines.length - [...lines].reverse().findIndex((l) => l.trim() === `driver: ${driver}`);
      const why =
        driver === 'aws'
          ? 'driver "aws" is not supported by this build (supported: file, mem)'
          : `unknown watermark driver "${driver}" (supported: file, mem)`;
      await expect(load()).rejects.toThrow(`${file}:${line}:3: watermark.driver: ${why}`);
    }
  });

  it('docker-compose files build stages of the Dockerfile and mount example configs that exist', async () => {
    const stages = await dockerfile();
    for (const name of ['docker-compose.yml', 'docker-compose.ha.yml']) {
      const compose = parseYaml(await readFile(path.join(EXAMPLES, name), 'utf8')) as {
        services: Record<string, { build?: { context: string; target: string }; volumes?: string[] }>;
      };
      for (const service of Object.values(compose.services)) {
        if (service.build !== undefined) {
          expect(path.resolve(EXAMPLES, service.build.context)).toBe(REPO);
          expect(stages.has(service.build.target)).toBe(true);
        }
        for (const v of service.volumes ?? []) {
          if (v.startsWith('.')) expect(existsSync(path.resolve(EXAMPLES, v.split(':')[0]!))).toBe(true);
        }
      }
    }
  });
});

describe('Dockerfile', () => {
  it('copies only paths that exist in the build context and after npm run bundle, none of them dockerignored', async () => {
    const ignored = (await readFile(path.join(REPO, '.dockerignore'), 'utf8')).split('\n').filter((l) => l && !l.startsWith('#'));
    let copies = 0;
    for (const [, instructions] of await dockerfile()) {
      for (const { op, args } of instructions) {
        if (op !== 'COPY') continue;
        const parts = args.split(/\s+/);
        const from = parts[0]!.startsWith('--from=') ? parts.shift() : undefined;
        for (const src of parts.slice(0, -1)) {
          copies++;
          if (from === undefined) {
            expect(existsSync(path.join(REPO, src))).toBe(true);
            expect(ignored).not.toContain(src);
          } else {
            expect(src).toMatch(/^\/src\/dist-bundle\//);
            expect(existsSync(path.join(bundle, src.slice('/src/dist-bundle/'.length)))).toBe(true);
          }
        }
      }
    }
    expect(copies).toBeGreaterThanOrEqual(8);
  });

  it('runs: its kms-local stage and its signatory ENTRYPOINT + CMD start from the bundle, sign, and its HEALTHCHECK passes', async () => {
    const stages = await dockerfile();
    const op = (stage: string, name: string) => stages.get(stage)!.find((i) => i.op === name)!.args;
    const kmsArgs = relocate([...json(op('kms-local', 'ENTRYPOINT')), ...json(op('kms-local', 'CMD'))], '');
    expect(kmsArgs[0]).toBe('node');
    const kms = run(
      kmsArgs.slice(1).map((a) => (a === '/var/lib/kms-local' ? path.join(dir, 'kms') : a)),
      'stdout',
    );
    procs.push(kms);
    const url = (await kms.waitFor(/listening on (http:\/\/\S+)/))[1]!;
    const keys: KmsKey[] = await createKeys(url, ['ECC_NIST_P256']);
    const config = path.join(dir, 'signatory.yaml');
    await writeConfig(config, { baseDir: path.join(dir, 'base'), kmsUrl: url, keys });

    const args = relocate([...json(op('signatory', 'ENTRYPOINT')), ...json(op('signatory', 'CMD'))], config);
    expect(args.slice(0, 2)).toEqual(['node', `${bundle}/signatory.js`]);
    const signatory = run(args.slice(1), 'stderr');
    procs.push(signatory);
    const main = JSON.parse((await signatory.waitFor(/"msg":"HTTP server is listening/)).input) as { msg: string };
    const utility = JSON.parse((await signatory.waitFor(/"msg":"Utility HTTP server is listening/)).input) as { msg: string };
    const r = await fetch(`http://${main.msg.split(' ').pop()}/keys/${keys[0]!.pkh}`, {
      method: 'POST',
      body: JSON.stringify(block(1, 0)),
    });
    expect(r.status).toBe(200);

    const health = json(op('signatory', 'HEALTHCHECK').replace(/^.*?CMD\s+/, ''));
    expect(health[0]).toBe('node');
    const env = { ...process.env, SIGNATORY_HEALTHZ_URL: `http://${utility.msg.split(' ').pop()}/healthz` };
    const check = (e: NodeJS.ProcessEnv) =>
      new Promise<number>((resolve) => execFile(process.execPath, health.slice(1), { env: e }, (err) => resolve(err ? 1 : 0)));
    expect(await check(env)).toBe(0);
    expect(await check({ ...env, SIGNATORY_HEALTHZ_URL: `http://127.0.0.1:1/healthz` })).toBe(1); // nothing there: unhealthy
    expect(op('signatory', 'USER')).not.toMatch(/^(root|0)\b/);
    expect(op('signatory', 'VOLUME')).toBe('/var/lib/signatory');
    expect(op('signatory', 'FROM')).toMatch(/^node:22-/);
  });
});

describe('systemd unit', () => {
  const unit = path.join(EXAMPLES, 'systemd', 'signatory.service');

  it('has the hardening the docs promise', async () => {
    const text = await readFile(unit, 'utf8');
    for (const line of [
      'NoNewPrivileges=yes',
      'ProtectSystem=strict',
      'StateDirectory=signatory',
      'DynamicUser=yes',
      'LimitNOFILE=65536',
      'ExecReload=/bin/kill -HUP $MAINPID',
    ]) {
      expect(text.split('\n')).toContain(line);
    }
  });

  const analyze = spawnSync('systemd-analyze', ['--version']).status === 0;
  (analyze ? it : it.skip)('passes systemd-analyze verify', async () => {
    // node may live elsewhere than /usr/bin on this machine: verify checks the executable exists
    const copy = path.join(dir, 'signatory.service');
    const text = await readFile(unit, 'utf8');
    await writeFile(copy, existsSync('/usr/bin/node') ? text : text.replaceAll('/usr/bin/node', process.execPath));
    const r = spawnSync('systemd-analyze', ['verify', copy], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('its ExecStartPre (config check) and ExecStart command lines run from the bundle', async () => {
    const lines = (await readFile(unit, 'utf8')).split('\n');
    const command = (key: string) =>
      lines
        .find((l) => l.startsWith(`${key}=`))!
        .slice(key.length + 1)
        .split(' ');
    const config = path.join(dir, 'systemd.yaml');
    await copyFile(path.join(EXAMPLES, 'configs', 'baker.yaml'), config);
    await writeFile(
      config,
      (await readFile(config, 'utf8'))
        .replace('base_dir: /var/lib/signatory', `base_dir: ${path.join(dir, 'systemd-base')}`)
        .replace('127.0.0.1:6732', '127.0.0.1:0')
        .replace('127.0.0.1:9583', '127.0.0.1:0'),
    );
    const pre = relocate(command('ExecStartPre'), config);
    expect(pre[0]).toBe('/usr/bin/node');
    const checked = spawnSync(process.execPath, pre.slice(1), { encoding: 'utf8' });
    expect(checked.status).toBe(0);
    const start = relocate(command('ExecStart'), config);
    const p = run(start.slice(1), 'stderr');
    procs.push(p);
    await p.waitFor(/msg="Utility HTTP server is listening/);
  });
});

describe('docs/deployment.md', () => {
  it('names only files that exist (the repository, or npm run bundle output)', async () => {
    const doc = await readFile(path.join(REPO, 'docs', 'deployment.md'), 'utf8');
    const mentioned = new Set<string>();
    for (const m of doc.matchAll(/[`\s(](\.dockerignore|Dockerfile|(?:examples|docs|scripts|apps|packages|dist-bundle)\/[\w./<>-]*\w)/g))
      mentioned.add(m[1]!);
    for (const m of doc.matchAll(/\]\(([\w-]+\.md)(?:#[\w-]+)?\)/g)) mentioned.add(`docs/${m[1]!}`);
    expect(mentioned.size).toBeGreaterThan(15);
    const missing = [...mentioned].filter((p) => {
      if (!p.startsWith('dist-bundle/')) return !existsSync(path.join(REPO, p));
      const inBundle = p.slice('dist-bundle/'.length).replace('<platform>-<arch>', `${process.platform}-${process.arch}`);
      return !existsSync(path.join(bundle, inBundle));
    });
    expect(missing).toEqual([]);
  });

  it('links to sections that exist', async () => {
    const doc = await readFile(path.join(REPO, 'docs', 'deployment.md'), 'utf8');
    for (const m of doc.matchAll(/\]\(([\w-]+\.md)#([\w-]+)\)/g)) {
      const target = await readFile(path.join(REPO, 'docs', m[1]!), 'utf8');
      const anchors = [...target.matchAll(/^#+ (.*)$/gm)].map((h) =>
        h[1]!
          .toLowerCase()
          .replace(/[^\w\s-]/g, '')
          .replace(/\s+/g, '-'),
      );
      expect(anchors).toContain(m[2]);
    }
  });
});
