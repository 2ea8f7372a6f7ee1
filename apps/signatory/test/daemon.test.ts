import { parseConfig } from '@signatory-ts/config';
import { awsKmsOpener } from '../src/aws-vault';
import { serve } from '../src/daemon';
import { captureLogs, daemonYaml, startLocalKms, type LocalKms } from './harness';
import { W, W_SK } from './keys';

const TX =
  '038fcf233671b6a04fcf679d2a381c2544ea6c1ea29ba6157776ed8424c7ccd00b6c02e9eef147a9399f12f73e7849c56de3d7b4d5edf9f40302c00c00c0843d00004cbddc4b0180973d51a3665ca42970da24a7a23c00';
const MISSING = 'tz1LggX2HUdvJ1tF4Fvv8fjsrzLeW4Jr9t2Q';

let local: LocalKms;
beforeAll(async () => {
  local = await startLocalKms('daemon', [{ secret: W_SK }]);
});
afterAll(() => local?.close());

const capture = (json = false) => captureLogs('info', json);

const yaml = (extra = '') =>
  daemonYaml({ baseDir: local.dir, kmsUrl: local.kms.url, server: extra, rest: `tezos:\n  ${W}:\n  ${MISSING}:\n` });

describe('signatory serve (in process)', () => {
  it('logs the keys it serves, warns by name about a listed key no vault holds, answers /healthz, and drains on shutdown', async () => {
    const { lines, logger } = capture();
    const d = await serve(parseConfig(yaml(), { env: {} }), { logger, openVault: awsKmsOpener(2000, () => undefined) });
    const util = `http://127.0.0.1:${d.utility.port}`;
    expect(
      lines.some(
        (l) =>
          l.includes(`msg="Key ${W}"`) && l.includes('vault=AWSKMS') && l.includes('allowed_requests="[block preattestation attestation]"'),
      ),
    ).toBe(true);
    expect(lines.some((l) => l.includes('level=warning') && l.includes(MISSING))).toBe(true);
    expect(lines.some((l) => /msg="HTTP server is listening for connections on 127\.0\.0\.1:\d+"/.test(l))).toBe(true);
    expect(lines.join('\n')).not.toContain('very-secret-value');
    const h = await fetch(`${util}/healthz`);
    expect([h.status, await h.text()]).toEqual([200, '{"ready":true}\n']);
    const m = await (await fetch(`${util}/metrics`)).text();
    expect(m).toContain('signatory_build_info');
    expect(m).toContain('process_cpu_user_seconds_total');
    const stopping = d.shutdown();
    const during = await fetch(`${util}/healthz`).then(
      (r) => r.status,
      () => 'closed',
    );
    expect([503, 'closed']).toContain(during);
    await stopping;
    await expect(fetch(`http://127.0.0.1:${d.main.port}/authorized_keys`)).rejects.toThrow();
  });

  it('logs the raw request at info only for a key with log_payloads: true', async () => {
    const { lines, logger } = capture();
    const y = yaml().replace(`  ${W}:\n`, `  ${W}:\n    allow: {generic: [transaction]}\n    log_payloads: true\n`);
    const d = await serve(parseConfig(y, { env: {} }), { logger, openVault: awsKmsOpener(2000, () => undefined) });
    const r = await fetch(`http://127.0.0.1:${d.main.port}/keys/${W}`, { method: 'POST', body: JSON.stringify(TX) });
    await d.shutdown();
    expect(r.status).toBe(200);
    expect(lines.some((l) => l.includes('msg="About to sign raw bytes"') && l.includes(`raw=${TX}`))).toBe(true);
    const quiet = capture();
    const d2 = await serve(parseConfig(yaml().replace(`  ${W}:\n`, `  ${W}:\n    allow: {generic: [transaction]}\n`), { env: {} }), {
      logger: quiet.logger,
      openVault: awsKmsOpener(2000, () => undefined),
    });
    expect((await fetch(`http://127.0.0.1:${d2.main.port}/keys/${W}`, { method: 'POST', body: JSON.stringify(TX) })).status).toBe(200);
    await d2.shutdown();
    expect(quiet.lines.some((l) => l.includes('About to sign raw bytes'))).toBe(false);
  });

  it('--no-list keeps the key lines out but still warns about missing keys', async () => {
    const { lines, logger } = capture();
    const d = await serve(parseConfig(yaml(), { env: {} }), { logger, openVault: awsKmsOpener(2000, () => undefined), list: false });
    await d.shutdown();
    expect(lines.some((l) => l.includes(`msg="Key ${W}"`))).toBe(false);
    expect(lines.some((l) => l.includes(MISSING))).toBe(true);
  });

  it('--json-log writes one JSON object a line with the fields at the top level', async () => {
    const { lines, logger } = capture(true);
    const d = await serve(parseConfig(yaml(), { env: {} }), { logger, openVault: awsKmsOpener(2000, () => undefined) });
    await d.shutdown();
    const key = lines.map((l) => JSON.parse(l)).find((o) => o.msg === `Key ${W}`);
    expect(key).toMatchObject({ level: 'info', pkh: W, vault: 'AWSKMS', active: true });
    expect(typeof key.time).toBe('string');
  });

  it('redacts secret-looking fields whatever a caller passes', () => {
    const { lines, logger } = capture();
    logger.info('x', { secret_access_key: 'abc', password: 'p', pkh: W });
    expect(lines[0]).toContain('secret_access_key="[redacted]"');
    expect(lines[0]).not.toContain('=abc');
  });

  it('refuses a policy_hook.timeout_ms that the request deadline would cut short', async () => {
    const { logger } = capture();
    const cfg = parseConfig(yaml('policy_hook:\n  address: http://127.0.0.1:9/hook\n  timeout_ms: 2000'), { env: {} });
    await expect(serve(cfg, { logger, openVault: awsKmsOpener(2000, () => undefined), requestDeadlineMs: 2000 })).rejects.toMatchObject({
      code: 'config_invalid',
      message: `${cfg.file}: policy_hook.timeout_ms (2000) must be below the request deadline (2000 ms, --request-deadline-ms); lower timeout_ms or raise the deadline`,
    });
  });

  it('serves a config with server.jwt: POST /login answers with a token, and a route without one is 401', async () => {
    const { logger, lines } = capture();
    const jwt = [
      '  jwt:\n    users:\n      alice:\n        password: "Passw0rd!Passw0rd!"\n        secret: "Secr3t!Secr3t!Secr3t!Secr3t!Secr3t!"',
      '      bob: {password: "Old-Passw0rd!Passw0rd", secret: "Old-Secr3t!Secr3t!Secr3t!Secr3t!", new_data: {password: "New-Passw0rd!Passw0rd", secret: "New-Secr3t!Secr3t!Secr3t!Secr3t!"}}',
      '      carol: {password: "Old-Passw0rd!Passw0rd", secret: "Old-Secr3t!Secr3t!Secr3t!Secr3t!", old_cred_exp: "2999-01-02 03:04:05", new_data: {password: "New-Passw0rd!Passw0rd", secret: "New-Secr3t!Secr3t!Secr3t!Secr3t!"}}',
    ].join('\n');
    const d = await serve(parseConfig(yaml(jwt), { env: {} }), { logger, openVault: awsKmsOpener(2000, () => undefined) });
    try {
      const url = `http://127.0.0.1:${d.main.port}`;
      const login = await fetch(`${url}/login`, { method: 'POST', headers: { username: 'alice', password: 'Passw0rd!Passw0rd!' } });
      expect(login.status).toBe(201);
      const token = await login.text();
      expect((await fetch(`${url}/keys/${W}`)).status).toBe(401);
      expect((await fetch(`${url}/keys/${W}`, { headers: { authorization: `Bearer ${token}`, username: 'alice' } })).status).toBe(200);
    } finally {
      await d.shutdown();
    }
    expect(lines.some((l) => l.includes('JWT: Applied new credentials for user bob'))).toBe(true);
    expect(
      lines.some((l) => l.includes('JWT: credentials of user carol rotate at 2999-01-02T03:04:05.000Z; until then both sets are accepted')),
    ).toBe(true);
    expect(lines.join('\n')).not.toMatch(/Passw0rd|Secr3t/);
  });
});
