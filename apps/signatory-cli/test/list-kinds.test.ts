/** `list-requests` and `list-ops` through the built CLI: Signatory's exact layout, no config needed. */
import { runCli } from './harness';

describe('signatory-cli list-requests / list-ops', () => {
  it('list-requests prints every request kind a policy may allow, sorted, in Signatory layout', async () => {
    const r = await runCli(['list-requests']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      'Possible request types:\n' +
        '    - attestation\n    - attestation_with_dal\n    - block\n    - generic\n    - pack\n    - preattestation\n',
    );
  });

  it('list-ops prints generic operation and pseudo-operation kinds, sorted', async () => {
    const r = await runCli(['list-ops']);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('Possible operation types:');
    const ops = lines.slice(1, -1).map((l) => {
      expect(l).toMatch(/^ {4}- [a-z_]+$/);
      return l.slice(6);
    });
    expect(ops).toEqual([...ops].sort());
    expect(ops).toHaveLength(39);
    for (const k of [
      'transaction',
      'stake',
      'unstake',
      'finalize_unstake',
      'set_delegate_parameters',
      'attestations_aggregate',
      'ballot',
    ]) {
      expect(ops).toContain(k);
    }
    expect(ops).not.toContain('attestation');
    expect(r.stdout.endsWith('    - zk_rollup_update\n')).toBe(true);
  });

  it('needs no config file (works with a --config that does not exist)', async () => {
    const r = await runCli(['-c', '/nonexistent/signatory.yaml', 'list-requests']);
    expect(r.code).toBe(0);
  });

  it('help shows Signatory short descriptions', async () => {
    const r = await runCli(['--help']);
    const help = r.stdout.replace(/\s+/g, ' ');
    expect(help).toMatch(/list \[options\]\s+List public keys/);
    expect(help).toMatch(/list-requests\s+Print possible request types/);
    expect(help).toMatch(/list-ops\s+Print possible operation types inside the `generic` request/);
    expect(help).toMatch(/import \[options\] \[secret-key\]\s+Import Tezos private keys \(edsk\.\.\., spsk\.\.\., p2sk\.\.\.\)/);
  });
});
