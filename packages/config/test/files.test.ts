import { chmod, mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '@signatory-ts/config';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'signatory-config-'));
  await chmod(dir, 0o755);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function messageOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    expect((e as ConfigError).code).toBe('config_invalid');
    return (e as Error).message;
  }
  throw new Error('loadConfig resolved');
}

test('a config written to disk loads, and messages name that path', async () => {
  const file = join(dir, 'ok.yaml');
  await writeFile(file, 'vaults: {kms: {driver: awskms}}\ntezos:\n  tz1c8PEDNfj6UxoQM2XCyfTHM5KbGGgoqDrH:\n', 'utf8');
  const c = await loadConfig(file, { env: {} });
  expect(c.file).toBe(file);
  expect(c.tezos.get('tz1c8PEDNfj6UxoQM2XCyfTHM5KbGGgoqDrH')).toBeNull();

  const bad = join(dir, 'bad.yaml');
  await writeFile(bad, 'server:\n  adress: x\n', 'utf8');
  expect(await messageOf(loadConfig(bad, { env: {} }))).toBe(`${bad}:2:3: server.adress: unknown key "adress" (did you mean "address"?)`);
});

test('a missing file says so and how to point at the right one', async () => {
  const file = join(dir, 'nope.yaml');
  expect(await messageOf(loadConfig(file))).toBe(`${file}: no such file (pass the path of your signatory.yaml with --config)`);
});

test('an unreadable file says permission denied', async () => {
  const file = join(dir, 'secret.yaml');
  await writeFile(file, 'server:\n', 'utf8');
  await chmod(file, 0o000);
  // root reads anything: drop the effective uid to nobody around the read.
  const root = process.geteuid?.() === 0;
  if (root) process.seteuid!(65534);
  try {
    expect(await messageOf(loadConfig(file))).toBe(`${file}: permission denied (the signer must be able to read its config file)`);
  } finally {
    if (root) process.seteuid!(0);
  }
});

test('a directory is not a config file', async () => {
  const sub = join(dir, 'conf.d');
  await mkdir(sub);
  expect(await messageOf(loadConfig(sub))).toBe(`${sub}: is a directory, not a file`);
});

test('a path through a regular file gives the system error code', async () => {
  const file = join(dir, 'plain');
  await writeFile(file, '', 'utf8');
  const p = join(file, 'signatory.yaml');
  expect(await messageOf(loadConfig(p))).toBe(`${p}: cannot be read (ENOTDIR)`);
});
