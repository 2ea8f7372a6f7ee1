/**
 * `signatory-cli decode`, run as a real child process of the built CLI (dist/main.js; jest.config.js builds it).
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const CLI = path.join(ROOT, 'apps', 'signatory-cli', 'dist', 'main.js');

const C2 =
  '12b3d79f993222f293d2f293230ec36b0bef1caead619f1a7206ff54a0c198f07ae25bb151140014000000220000000458335430566f4b95401c110f33e74d3a324f83ad6003ed9d5e93ce617fa11e44';
const E3 =
  '03a60703a9567bf69ec66b368c3d8562eba4cbf29278c2c10447a684e3aa1436856c00a0c7a9b0bcd6a48ee0c13094327f215ba2adeaa7d40dabc1af25e36fde02c096b10201f525eabd8b0eeace1494233ea0230d2c9ad6619b00ffff0b66756c66696c6c5f61736b0000000907070088f0f6010306';
const E4 = '137a06a7700e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a829' + '00000533' + '00000000' + '00'.repeat(32);
// dal_entrapment_evidence: an inlined attestation (139 bytes: branch, tag 21, slot 3, level 100, round 0, payload hash,
// signature), consensus slot 3, slot index 9, lag index 4, shard 12 of two scalars (64 bytes), proof
const INLINED = '00'.repeat(32) + '15' + '0003' + '00000064' + '00000000' + '11'.repeat(32) + '5a'.repeat(64);
const SHARD = '0000000c' + '00000040' + '01'.repeat(32) + '02'.repeat(32) + '03'.repeat(48);
const ENTRAPMENT = '03' + '00'.repeat(32) + '18' + '0000008b' + INLINED + '0003' + '09' + 'ff04' + SHARD;

function run(args: string[], stdin?: string) {
  // the timeout only stops a CLI that hangs (jest's cannot interrupt a synchronous call): generous for a loaded machine
  const r = spawnSync(process.execPath, [CLI, ...args], { input: stdin ?? '', encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('signatory-cli decode', () => {
  it('prints a preattestation with chain, level, round and slot', () => {
    const r = run(['decode', C2]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^request: preattestation \(0x12\)/);
    expect(r.stdout).toMatch(/chainId:\s+NetXo5iVw1vBoxM/);
    expect(r.stdout).toMatch(/level:\s+34\n/);
    expect(r.stdout).toMatch(/round:\s+4\n/);
    expect(r.stdout).toMatch(/slot:\s+20\n/);
  });

  it('reads the hex from stdin when no argument is given (also a quoted JSON body)', () => {
    const r = run(['decode'], `"${E3}"\n`);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('operation 1: transaction');
    expect(r.stdout).toMatch(/amount:\s+5000000/);
    expect(r.stdout).toMatch(/destination:\s+KT1WvzYHCNBvDSdwafTHv7nJ1dWmZ8GCYuuC/);
  });

  it('prints JSON with --json: decimal-string amounts, base58 keys, Tezos kind names', () => {
    const r = run(['decode', '--json', E3]);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({
      kind: 'generic',
      branch: 'BLyQHMFeNzZEKHmKgfD9imcowLm8hc4aUo16QtYZcS5yvx7RFqQ',
      policyKinds: ['transaction'],
    });
    expect(j.operations[0]).toMatchObject({
      kind: 'transaction',
      source: 'tz1aJ9zdWaAmV3d4dkDpZ8fU5P9eo1hyGfMW',
      fee: '1748',
      amount: '5000000',
    });
  });

  it('prints a DAL entrapment shard as Octez does: the pair [index, [scalars]]', () => {
    const shard = [12, ['01'.repeat(32), '02'.repeat(32)]];
    const json = run(['decode', '--json', ENTRAPMENT]);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout).operations[0]).toMatchObject({ kind: 'dal_entrapment_evidence', shard_with_proof: { shard } });
    const text = run(['decode', ENTRAPMENT]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`shard_with_proof: {"shard":${JSON.stringify(shard)},"proof":"${'03'.repeat(48)}"}`);
  });

  it('gives level and round for a tz4 BLS-mode attestation in JSON', () => {
    const r = run(['decode', '--json', '--key-type', 'tz4', E4]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ kind: 'attestation', tag: 41, level: 1331, round: 0, chainId: 'NetXdQprcVkpaWU' });
  });

  it('refuses a BLS-mode attestation for a tz1 key with exit code 2', () => {
    const r = run(['decode', '--key-type', 'tz1', E4]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('key_type_mismatch at byte 37');
  });

  it('explains malformed input and exits 2: truncated, not hex, empty, authentication prefix', () => {
    const truncated = run(['decode', C2.slice(0, -2)]);
    expect(truncated.code).toBe(2);
    expect(truncated.stderr).toMatch(/short_input at byte 48/);
    const notHex = run(['decode', '12zz']);
    expect(notHex.code).toBe(2);
    expect(notHex.stderr).toContain('not hex');
    const empty = run(['decode'], '');
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('no request given');
    const auth = run(['decode', '0401' + '00'.repeat(21)]);
    expect(auth.code).toBe(2);
    expect(auth.stderr).toContain('not_a_sign_request');
    expect(auth.stdout).toBe('');
  });

  it('rejects an unknown --key-type value', () => {
    const r = run(['decode', '--key-type', 'tz9', C2]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--key-type must be one of tz1, tz2, tz3, tz4');
  });
});
