import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runCli, tempDir } from './harness';

// `signatory-cli config check` as a child process on real files: no vault is contacted.
const dir = tempDir('signatory-config-check-');
const BAKER = 'tz3PUkjqtsAg1uV3aQTWTMs6SBDYbY9BkUp6';
const PAYOUT = 'tz1WGcYos3hL7GXYXjKrMnSFdkT7FyXnFBvf';
const CLIENT = 'edpkuhEcwoLysLvodRxQLzuM3AVZvCuT6koVkUahS53mNBdE8LbuGo';
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const f = path.join(dir, name);
  writeFileSync(
    f,
    `base_dir: ${path.join(dir, 'base')}\nvaults:\n  kms:\n    driver: awskms\n    config:\n      region: eu-west-1\n${text}`,
  );
  return f;
}

describe('signatory-cli config check', () => {
  it('prints what each key may sign, in words, and exits 0', async () => {
    const f = file(
      'ok.yaml',
      `tezos:\n  ${BAKER}:\n  ${PAYOUT}:\n    allow:\n      generic: [transaction, delegation]\n    allowed_chains: [NetXdQprcVkpaWU]\n    log_payloads: true\n`,
    );
    const r = await runCli(['config', 'check', '-c', f]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`${f}: valid\n`);
    expect(r.stdout).toContain('client authentication: off');
    expect(r.stdout).toContain(`watermarks: file in ${path.join(dir, 'base')}`);
    expect(r.stdout).toContain(
      `${BAKER} (default policy)\n` +
        '  - signs block, preattestation, attestation: each (level, round) once per chain, guarded by the file watermark store\n' +
        '  - signs no generic operation (no transfer, delegation, staking or vote)\n' +
        '  - on any chain\n' +
        '  - for any client that can reach the signing listener (no authentication)\n',
    );
    expect(r.stdout).toContain(
      `${PAYOUT}\n` +
        '  - signs no block or consensus operation\n' +
        '  - signs generic operations made only of: delegation, transaction\n',
    );
    expect(r.stdout).toContain('only on chain NetXdQprcVkpaWU');
    expect(r.stdout).toContain('logs every request it signs, whole, at info level');
  });

  it('names client authentication per key', async () => {
    const f = file(
      'auth.yaml',
      `server:\n  authorized_keys: [${CLIENT}]\ntezos:\n  ${BAKER}:\n    allow: {block: }\n    authorized_keys: [${CLIENT}]\n  ${PAYOUT}:\n    allow: {block: }\n`,
    );
    const r = await runCli(['config', 'check', '-c', f]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('client authentication: 1 authorized key(s)');
    expect(r.stdout).toMatch(new RegExp(`${BAKER}\\n(  - .*\\n)*  - only for requests authenticated by ${CLIENT}\\n`));
    expect(r.stdout).toMatch(new RegExp(`${PAYOUT}\\n(  - .*\\n)*  - for any client authenticated by a key of server.authorized_keys\\n`));
  });

  it('puts the limits of a payout key in words, exactly', async () => {
    const f = file(
      'limits.yaml',
      `tezos:\n  ${PAYOUT}:\n    allow:\n      generic: [transaction, reveal]\n    limits:\n      max_amount: 100tz\n      max_fee: 0.05tz\n      max_storage_limit: 5000\n      destinations: [${BAKER}]\n`,
    );
    const r = await runCli(['config', 'check', '-c', f]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('  - generic requests: each operation sends at most 100 tez\n');
    expect(r.stdout).toContain('  - generic requests: each operation pays a fee of at most 0.05 tez\n');
    expect(r.stdout).toContain('  - generic requests: each operation has a storage limit of at most 5000 bytes\n');
    expect(r.stdout).toContain(`  - generic requests: sends only to ${BAKER}\n`);
  });

  it('reports every problem of a config that does not load, with its YAML path, and exits 3', async () => {
    const f = file('bad.yaml', `tezos:\n  ${BAKER}:\n    allow: {blok: }\n  ${PAYOUT.slice(0, -1)}x:\n`);
    const [r, missing] = await Promise.all([
      runCli(['config', 'check', '-c', f]),
      runCli(['config', 'check', '-c', path.join(dir, 'absent.yaml')]),
    ]);
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(new RegExp(`${f}:\\d+:\\d+: tezos\\.${BAKER}\\.allow.*blok`));
    expect(r.stderr).toMatch(new RegExp(`${f}:\\d+:\\d+: tezos\\.${PAYOUT.slice(0, -1)}x: .*not a public key hash`));
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain('no such file');
  });

  it('prints warnings (a key that can sign nothing) and exits 0; --strict exits 3', async () => {
    const f = file('warn.yaml', `tezos:\n  ${PAYOUT}:\n    allow:\n      generic:\n  ${BAKER}:\n    allow: {}\n`);
    const [r, strict] = await Promise.all([runCli(['config', 'check', '-c', f]), runCli(['config', 'check', '--strict', '-c', f])]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('generic requests are allowed but no operation kind is listed: every one is refused');
    expect(r.stderr).toContain(`warning: ${PAYOUT}: allow.generic lists no operation kind, so every generic request is refused\n`);
    expect(r.stderr).toContain(`warning: ${BAKER}: its policy allows no request kind, so it signs nothing\n`);
    expect(strict.code).toBe(3);
    expect(strict.stderr).toContain('2 warning(s), and --strict makes warnings problems');
  });

  it('a per-key authorized_keys without server.authorized_keys is a problem (exit 3), as for signatory serve', async () => {
    const f = file('noauth.yaml', `tezos:\n  ${BAKER}:\n    authorized_keys: [${CLIENT}]\n    allow: {block: }\n`);
    const r = await runCli(['config', 'check', '-c', f]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`tezos.${BAKER}.authorized_keys: needs server.authorized_keys`);
  });

  it('--json gives the same facts to a script', async () => {
    const f = file('json.yaml', `tezos:\n  ${BAKER}:\n`);
    const r = await runCli(['config', 'check', '--json', '-c', f]);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as {
      keys: { pkh: string; policy: string; effective: string[] }[];
      watermark: string;
      warnings: string[];
    };
    expect(j.watermark).toBe('file');
    expect(j.warnings).toEqual([]);
    expect(j.keys).toEqual([{ pkh: BAKER, policy: 'default', effective: expect.arrayContaining(['on any chain']) as unknown }]);
  });
});
