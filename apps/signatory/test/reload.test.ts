import { appendFile, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { b58Encode, fromHex } from '@signatory-ts/core';
import { block, TRANSACTION } from './payloads';
import { E2e, stop, until, type KmsKey, type Proc } from './processes';

// SIGHUP with real processes: kms-local and `signatory serve`; every step waits for the daemon's log line.
let e2e: E2e;
type Daemon = { proc: Proc; url: string; utilityUrl: string };
let s: Daemon;

const config = (keys: readonly KmsKey[]) => e2e.config(e2e.configFile, { keys });
/** KMS deadlines far above the time a test holds a daemon's KMS call in kms-local (a KMS call then never fails). */
const PATIENT = ['--kms-deadline-ms', '60000', '--kms-attempt-timeout-ms', '60000', '--request-deadline-ms', '120000'];

/** POSTs to the suite's daemon, or to `d`. */
const post = async (pkh: string, hex: string, d: Daemon = s) => {
  const r = await fetch(`${d.url}/keys/${pkh}`, { method: 'POST', body: JSON.stringify(hex) });
  return { status: r.status, text: await r.text() };
};

/** Sends SIGHUP (to the suite's daemon, or to `d`) and resolves with the lines the reload logged, up to its outcome. */
async function hup(d: Daemon = s): Promise<string[]> {
  const from = d.proc.lines.length;
  d.proc.child.kill('SIGHUP');
  const outcome = /msg="(Configuration reloaded from|Reload failed \()/;
  await until(() => d.proc.lines.slice(from).some((l) => outcome.test(l)));
  return d.proc.lines.slice(from);
}
const metric = async (name: string) => {
  const text = await (await fetch(`${s.utilityUrl}/metrics`)).text();
  return text
    .split('\n')
    .find((l) => l.startsWith(name))
    ?.split(' ')[1];
};

beforeAll(async () => {
  e2e = await E2e.start('reload', ['ECC_NIST_P256', 'ECC_NIST_EDWARDS25519', 'ECC_NIST_P256']);
  await config([e2e.keys[0]!, e2e.keys[1]!]);
  s = await e2e.serve();
});
afterAll(async () => {
  await e2e?.stop();
});

describe('SIGHUP reloads signatory.yaml', () => {
  it('a key added during a request stream is served after the reload, a removed key is refused, no request of the stream fails', async () => {
    const [a, b, c] = e2e.keys as [KmsKey, KmsKey, KmsKey];
    expect((await post(c.pkh, TRANSACTION)).status).toBe(403);
    let stopped = false;
    const results: { status: number | string; afterReload: boolean }[] = [];
    let reloaded = false;
    const worker = async () => {
      while (!stopped) {
        try {
          const r = await post(a.pkh, TRANSACTION);
          results.push({ status: r.status, afterReload: reloaded });
        } catch (e) {
          results.push({ status: String(e), afterReload: reloaded }); // a dropped connection
        }
      }
    };
    const workers = [worker(), worker(), worker()];
    await until(() => results.length >= 10);
    await config([a, c]); // c added, b removed
    const lines = await hup();
    reloaded = true;
    const done = lines.find((l) => l.includes('msg="Configuration reloaded from'));
    expect(done).toContain(`keys=2 keys_added="[${c.pkh}]" keys_removed="[${b.pkh}]" vaults_opened=0`);
    expect((await post(c.pkh, TRANSACTION)).status).toBe(200);
    const refused = await post(b.pkh, TRANSACTION);
    expect(refused.status).toBe(403);
    expect(refused.text).toContain(`${b.pkh} is not listed in config`);
    const after = results.length;
    await until(() => results.length >= after + 10);
    stopped = true;
    await Promise.all(workers);
    expect(results.filter((r) => r.status !== 200)).toEqual([]);
    expect(results.some((r) => r.afterReload)).toBe(true);
    expect(await metric('config_reloads_total{result="success"}')).toBe('1');
  });

  it('a request in flight for a key the reload removes completes; the next one is refused', async () => {
    const [a, , c] = e2e.keys as [KmsKey, KmsKey, KmsKey];
    // a daemon of its own (on the suite's config and base_dir), whose KMS deadlines leave room for a held Sign
    const d = await e2e.serve({ args: PATIENT });
    // kms-local holds the Sign until released: the reload below runs while the request waits for it
    await e2e.kms.faults({ hold: { operations: ['Sign'] } });
    try {
      let settled = false;
      const pending = post(c.pkh, block(5, 0, 0, 'a0000011'), d).finally(() => (settled = true));
      await d.proc.waitFor(new RegExp(`msg="Requesting signing operation".*lvl=5 .*pkh=${c.pkh}`));
      await e2e.kms.waitHeld(1);
      await config([a]);
      const lines = await hup(d);
      expect(lines.join('\n')).toMatch(/msg="Configuration reloaded from/);
      expect(settled).toBe(false); // reloaded while the request was in flight
      expect(await e2e.kms.release()).toBe(1);
      const r = await pending;
      expect(r.status).toBe(200);
      // its watermark was persisted by the old generation, in the one store both share
      const stored = JSON.parse(
        await readFile(path.join(e2e.dir, 'watermark_v2', `${b58Encode('Net', fromHex('a0000011'))}.json`), 'utf8'),
      );
      expect(stored[c.pkh].block).toMatchObject({ level: 5, round: 0 });
      expect((await post(c.pkh, block(6, 0, 0, 'a0000011'), d)).status).toBe(403);
    } finally {
      await e2e.kms.clearFaults();
      await stop(d.proc);
    }
  }, 120_000);

  it('a config that does not load changes nothing and every problem is logged', async () => {
    const [a, b] = e2e.keys as [KmsKey, KmsKey];
    const good = await readFile(e2e.configFile, 'utf8');
    // two problems: an unknown request kind for a, and a pkh that is not one
    await writeFile(
      e2e.configFile,
      good.replace(/allow: \{block: /, 'allow: {blok: ') + `  ${b.pkh.slice(0, -3)}xyz:\n    allow: {block: }\n`,
    );
    const lines = await hup();
    const problems = lines.filter((l) => l.includes('msg="Reload: '));
    expect(problems.length).toBeGreaterThanOrEqual(2);
    expect(problems.join('\n')).toMatch(/blok/);
    expect(problems.join('\n')).toMatch(/xyz/);
    expect(lines.join('\n')).toMatch(/Reload failed \(\d+ problems\); still serving the previous configuration/);
    expect((await post(a.pkh, TRANSACTION)).status).toBe(200);
    expect((await post(b.pkh, TRANSACTION)).status).toBe(403);
    expect(await metric('config_reloads_total{result="failure"}')).toBe('1');
    expect(await metric('config_last_reload_successful')).toBe('0');
    await writeFile(e2e.configFile, good);
  });

  it('base_dir, watermark and listener changes are kept for a restart: the log says so, the store and ports stay', async () => {
    const [a] = e2e.keys as [KmsKey];
    await config([a]);
    const other = path.join(e2e.dir, 'elsewhere');
    const text = (await readFile(e2e.configFile, 'utf8'))
      .replace(`base_dir: ${e2e.dir}`, `base_dir: ${other}`)
      .replace('address: 127.0.0.1:0', 'address: 127.0.0.1:1')
      .replace('utility_address: 127.0.0.1:0', 'utility_address: 127.0.0.1:2');
    await writeFile(e2e.configFile, text);
    await appendFile(e2e.configFile, 'watermark:\n  driver: mem\n');
    const lines = (await hup()).join('\n');
    for (const setting of ['base_dir', 'watermark', 'server.address', 'server.utility_address']) {
      expect(lines).toContain(
        `msg="${setting} changed in ${e2e.configFile}; the running process keeps the previous one: restart signatory to apply it"`,
      );
    }
    expect(lines).toMatch(/msg="Configuration reloaded from/);
    // the file store on the old base_dir still guards the slot: a second block at one level is refused
    const chain = 'a0000012';
    expect((await post(a.pkh, block(1, 0, 0, chain))).status).toBe(200);
    expect((await post(a.pkh, block(1, 0, 1, chain))).status).toBe(409);
    await expect(readFile(path.join(e2e.dir, 'watermark_v2', `${b58Encode('Net', fromHex(chain))}.json`), 'utf8')).resolves.toContain(
      a.pkh,
    );
    await expect(readFile(path.join(other, 'watermark_v2', `${b58Encode('Net', fromHex(chain))}.json`))).rejects.toThrow(/ENOENT/);
  });

  it('a vault whose settings changed is reopened; one that did not is reused', async () => {
    const [a] = e2e.keys as [KmsKey];
    await config([a]);
    expect((await hup()).join('\n')).toMatch(/Configuration reloaded from .*vaults_opened=0/);
    await writeFile(
      e2e.configFile,
      (await readFile(e2e.configFile, 'utf8')).replace('access_key_id: AKIDTEST', 'access_key_id: AKIDOTHER'),
    );
    const lines = (await hup()).join('\n');
    expect(lines).toMatch(/msg="Initializing vault".*vault_name=kms/);
    expect(lines).toMatch(/Configuration reloaded from .*vaults_opened=1/);
    expect((await post(a.pkh, TRANSACTION)).status).toBe(200);
  });

  it('a changed server.jwt fails the whole reload: logins keep the users the process started with', async () => {
    const [a, b] = e2e.keys as [KmsKey, KmsKey];
    const good = await readFile(e2e.configFile, 'utf8');
    const jwt =
      '  jwt:\n    users:\n      alice:\n        password: "Secret-password-1234"\n        secret: "Secret-jwt-hmac-key-0123456789-abcdef!"\n';
    // b added too: it must stay unserved, since nothing of this config is applied
    await writeFile(e2e.configFile, good.replace('server:\n', `server:\n${jwt}`) + `  ${b.pkh}:\n    allow: {generic: [transaction]}\n`);
    const lines = (await hup()).join('\n');
    expect(lines).toContain(
      `msg="Reload: server.jwt changed in ${e2e.configFile}: a running process cannot apply it; restart signatory (nothing was reloaded)"`,
    );
    expect(lines).toMatch(/Reload failed \(1 problem\)/);
    expect(lines).not.toContain('Secret-');
    expect((await post(b.pkh, TRANSACTION)).status).toBe(403);
    expect((await post(a.pkh, TRANSACTION)).status).toBe(200);
    await writeFile(e2e.configFile, good);
  });

  it('a vault that cannot list its keys fails the reload: the running vault keeps serving', async () => {
    const [a] = e2e.keys as [KmsKey];
    const good = await readFile(e2e.configFile, 'utf8');
    await writeFile(e2e.configFile, good.replace(`endpoint: ${e2e.kms.url}`, 'endpoint: http://127.0.0.1:1'));
    const lines = await hup();
    expect(lines.join('\n')).toMatch(/msg="Reload: vault AWSKMS could not list its keys: /);
    expect(lines.join('\n')).toMatch(/Reload failed \(1 problem\); still serving the previous configuration/);
    expect((await post(a.pkh, TRANSACTION)).status).toBe(200);
    await writeFile(e2e.configFile, good);
  });

  it('SIGHUP while the daemon starts is logged and ignored (not the end of the process); it then starts and serves', async () => {
    // key listing held by kms-local until released (under a KMS deadline far above the wait), so the SIGHUP lands while
    // the daemon is still starting, however loaded the machine
    await e2e.kms.faults({ hold: { operations: ['ListKeys'] } });
    const p = e2e.spawn({ args: ['--base-dir', path.join(e2e.dir, 'starting'), ...PATIENT] });
    try {
      await p.waitFor(/Initializing vault/);
      await e2e.kms.waitHeld(1);
      p.child.kill('SIGHUP');
      await p.waitFor(/Received SIGHUP while starting: nothing to reload yet/);
      expect(p.lines.join('\n')).not.toMatch(/HTTP server is listening/); // still starting when the SIGHUP came
      await e2e.kms.clearFaults(); // releases the listing and holds no more
      const m = await p.waitFor(/msg="HTTP server is listening for connections on (\S+)"/);
      expect(p.child.exitCode).toBeNull();
      const r = await fetch(`http://${m[1]}/keys/${e2e.keys[0]!.pkh}`);
      expect(r.status).toBe(200);
    } finally {
      await e2e.kms.clearFaults();
      await stop(p, 'SIGKILL');
    }
  }, 120_000);

  it('SIGHUP during shutdown reloads nothing; the request in flight completes and the process exits 0', async () => {
    const [a] = e2e.keys as [KmsKey];
    // a daemon of its own, whose KMS deadlines leave room for a held Sign
    s = await e2e.serve({ args: PATIENT });
    // kms-local holds the Sign while the signals land, then releases it: the request ends within the shutdown's 10 s grace
    await e2e.kms.faults({ hold: { operations: ['Sign'] } });
    try {
      const pending = post(a.pkh, block(7, 0, 0, 'a0000013'));
      await s.proc.waitFor(new RegExp(`msg="Requesting signing operation".*lvl=7 .*pkh=${a.pkh}`));
      await e2e.kms.waitHeld(1);
      s.proc.child.kill('SIGTERM');
      await s.proc.waitFor(/msg="Received SIGTERM"/);
      s.proc.child.kill('SIGHUP');
      await s.proc.waitFor(/msg="Not reloading: shutting down"/);
      expect(await e2e.kms.release()).toBe(1);
      expect((await pending).status).toBe(200);
      expect(await s.proc.exited).toBe(0);
    } finally {
      await e2e.kms.clearFaults();
    }
  }, 120_000);
});
