import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import path from 'node:path';
import { parseConfig } from '@signatory-ts/config';
import { issue, makeCa, startHookServer, type HookServer, type Issued } from '@signatory-ts/dev-servers';
import { awsKmsOpener } from '../src/aws-vault';
import { serve, type Daemon } from '../src/daemon';
import { captureLogs, daemonYaml, startLocalKms, type LocalKms } from './harness';
import { W, W_SK } from './keys';

// `signatory serve` in process with an https policy hook on 127.0.0.1 whose certificate a CA made here
// with openssl issued: policy_hook.ca_file is read at start-up and again by every reload.

// preattestation, round 4, chain NetXo5iVw1vBoxM, at a chosen level
const C2 =
  '12b3d79f993222f293d2f293230ec36b0bef1caead619f1a7206ff54a0c198f07ae25bb151140014000000220000000458335430566f4b95401c110f33e74d3a324f83ad6003ed9d5e93ce617fa11e44';
const preattestationAt = (level: number) => C2.slice(0, 80) + level.toString(16).padStart(8, '0') + C2.slice(88);

let local: LocalKms;
let hook: HookServer;
let ca: Issued;
let otherCa: Issued;
beforeAll(async () => {
  local = await startLocalKms('hook-tls', [{ secret: W_SK }]);
  ca = makeCa(local.dir, 'hook-ca');
  otherCa = makeCa(local.dir, 'other-ca');
  const cert = issue(local.dir, ca, 'hook', 'server');
  hook = await startHookServer(undefined, { tls: { cert: readFileSync(cert.cert), key: readFileSync(cert.key) } });
});
afterAll(async () => {
  await hook?.stop();
  await local?.close();
});

// generous bounds where success or a TLS failure is expected: a loaded machine must not turn either into a timeout
const SLOW_OK = { requestDeadlineMs: 60_000, signDeadlineMs: 20_000 };

/** The config with the hook at `hook.url`, trusting the CAs in `caFile` (undefined: no ca_file, Node's default CAs). */
const yamlFor = (baseDir: string, caFile: string | undefined) =>
  daemonYaml({
    baseDir,
    kmsUrl: local.kms.url,
    rest: `tezos:\n  ${W}:\npolicy_hook:\n  address: ${hook.url}\n  timeout_ms: 20000\n${caFile !== undefined ? `  ca_file: ${caFile}\n` : ''}`,
  });

const sign = async (d: Daemon, hex: string) => {
  const r = await fetch(`http://127.0.0.1:${d.main.port}/keys/${W}`, { method: 'POST', body: JSON.stringify(hex) });
  return { status: r.status, text: await r.text() };
};

describe('signatory serve with an https policy hook and policy_hook.ca_file', () => {
  it('trusts the CA of the file; a reload reads the file again, and a file that cannot be used keeps the running hook', async () => {
    const baseDir = await mkdtemp(path.join(local.dir, 'a-'));
    const caFile = path.join(baseDir, 'hook-ca.pem');
    copyFileSync(ca.cert, caFile);
    const yaml = yamlFor(baseDir, caFile);
    const { lines, logger } = captureLogs();
    const d = await serve(parseConfig(yaml, { env: {} }), { logger, openVault: awsKmsOpener(20_000, () => undefined), ...SLOW_OK });
    const reload = (text = yaml) => d.reload(() => Promise.resolve(parseConfig(text, { env: {} })));
    try {
      expect(lines.some((l) => l.includes('msg="Policy hook enabled"') && l.includes(`ca_file=${caFile}`))).toBe(true);
      expect((await sign(d, preattestationAt(100))).status).toBe(200);
      expect(hook.requests).toHaveLength(1);

      // not a certificate: the reload fails naming the setting and the file; the running hook still trusts the CA
      writeFileSync(caFile, 'not a certificate\n');
      expect(await reload()).toEqual({
        ok: false,
        problems: [
          `cannot build the signer: policy_hook.ca_file: ${caFile} is not a PEM certificate file (no "-----BEGIN CERTIFICATE-----" block); give the PEM file of the CA that signed the hook's certificate`,
        ],
      });
      expect((await sign(d, preattestationAt(101))).status).toBe(200);
      expect(hook.requests).toHaveLength(2);

      // another CA: reloaded, and the hook's certificate is no longer trusted: 500, the hook never asked, nothing signed
      copyFileSync(otherCa.cert, caFile);
      expect(await reload()).toEqual({ ok: true });
      const refused = await sign(d, preattestationAt(102));
      expect(refused.status).toBe(500);
      expect(refused.text).toContain(`policy hook: POST ${hook.url}: TLS handshake failed: `);
      expect(refused.text).toContain(`the hook's certificate must chain to a CA in policy_hook.ca_file (${caFile})`);
      expect(hook.requests).toHaveLength(2);

      // no ca_file: Node's default CAs do not include the test CA: refused the same way
      expect(await reload(yamlFor(baseDir, undefined))).toEqual({ ok: true });
      const untrusted = await sign(d, preattestationAt(102));
      expect(untrusted.status).toBe(500);
      expect(untrusted.text).toContain(
        "the hook's certificate must chain to one of Node's default CAs (for a private CA, set policy_hook.ca_file)",
      );
      expect(hook.requests).toHaveLength(2);

      // the right CA back: the same level signs (the refusals took no watermark)
      copyFileSync(ca.cert, caFile);
      expect(await reload()).toEqual({ ok: true });
      expect((await sign(d, preattestationAt(102))).status).toBe(200);
      expect(hook.requests).toHaveLength(3);
    } finally {
      await d.shutdown();
    }
  });

  it('a ca_file that cannot be read stops the start with the setting, the file and the fix', async () => {
    const baseDir = await mkdtemp(path.join(local.dir, 'b-'));
    const missing = path.join(baseDir, 'none.pem');
    let opened = 0;
    const start = serve(parseConfig(yamlFor(baseDir, missing), { env: {} }), {
      logger: captureLogs().logger,
      openVault: (...a) => {
        opened++;
        return awsKmsOpener(2000, () => undefined)(...a);
      },
      ...SLOW_OK,
    });
    await expect(start).rejects.toMatchObject({
      code: 'config_invalid',
      message: `policy_hook.ca_file: cannot read ${missing}: no such file; give the PEM file of the CA that signed the hook's certificate`,
    });
    expect(opened).toBe(0); // checked before any vault is opened
  });
});
