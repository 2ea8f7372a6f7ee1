import { mkdtemp } from 'node:fs/promises';
import path from 'node:path';
import { InMemorySigner } from '@taquito/signer';
import { parseConfig } from '@signatory-ts/config';
import { startHookServer, type HookServer } from '@signatory-ts/dev-servers';
import { awsKmsOpener } from '../src/aws-vault';
import { serve, type Daemon } from '../src/daemon';
import { captureLogs, daemonYaml, failure, startLocalKms, type LocalKms } from './harness';
import { W, W_SK } from './keys';

// `signatory serve` in process with policy_hook: real kms-local, the AWS SDK vault, the file
// watermark store, and a real hook server on 127.0.0.1 with its own key.
const HOOK_KEY = new InMemorySigner('edsk3ZAm9nqEo7qNugo2wcmxWnbDe7oUUmHt5UJYDdqwucsaHTAsVQ');
// a transaction by W: generic, which W's policy below does not allow
const TX =
  '038fcf233671b6a04fcf679d2a381c2544ea6c1ea29ba6157776ed8424c7ccd00b6c02e9eef147a9399f12f73e7849c56de3d7b4d5edf9f40302c00c00c0843d00004cbddc4b0180973d51a3665ca42970da24a7a23c00';
// preattestation, round 4, chain NetXo5iVw1vBoxM, at a chosen level
const C2 =
  '12b3d79f993222f293d2f293230ec36b0bef1caead619f1a7206ff54a0c198f07ae25bb151140014000000220000000458335430566f4b95401c110f33e74d3a324f83ad6003ed9d5e93ce617fa11e44';
const preattestationAt = (level: number) => C2.slice(0, 80) + level.toString(16).padStart(8, '0') + C2.slice(88);

let local: LocalKms;
let hook: HookServer;
beforeAll(async () => {
  local = await startLocalKms('hook', [{ secret: W_SK }]);
  hook = await startHookServer();
});
afterAll(async () => {
  await hook?.stop();
  await local?.close();
});
beforeEach(() => {
  hook.requests.length = 0;
  hook.answer(() => ({ status: 204 }));
});

async function start(hookYaml: string, baseDir: string): Promise<{ d: Daemon; lines: string[] }> {
  const { lines, logger } = captureLogs();
  const yaml = daemonYaml({ baseDir, kmsUrl: local.kms.url, rest: `tezos:\n  ${W}:\n${hookYaml}` });
  const d = await serve(parseConfig(yaml, { env: {} }), { logger, openVault: awsKmsOpener(8000, () => undefined) });
  return { d, lines };
}

const sign = async (d: Daemon, hex: string) => {
  const r = await fetch(`http://127.0.0.1:${d.main.port}/keys/${W}`, { method: 'POST', body: JSON.stringify(hex) });
  return { status: r.status, text: await r.text() };
};
const metrics = async (d: Daemon) => (await fetch(`http://127.0.0.1:${d.utility.port}/metrics`)).text();

describe('signatory serve with policy_hook', () => {
  it('asks the hook after the static policy; every refusal leaves the level free for the next request', async () => {
    const { d, lines } = await start(
      // far above what an answer takes on a loaded machine: only the hook that never answers reaches it
      `policy_hook:\n  address: ${hook.url}\n  timeout_ms: 5000\n`,
      await mkdtemp(path.join(local.dir, 'a-')),
    );
    try {
      expect(
        lines.some((l) => l.includes('msg="Policy hook enabled"') && l.includes(`address="${hook.url}"`) && l.includes('timeout_ms=5000')),
      ).toBe(true);

      // the static policy refuses generic requests for W: the hook is never asked
      expect((await sign(d, TX)).status).toBe(403);
      expect(hook.requests).toHaveLength(0);

      // the hook says yes: signed, and it saw the request from 127.0.0.1
      const ok = await sign(d, preattestationAt(100));
      expect(ok.status).toBe(200);
      const asked = JSON.parse(hook.requests[0]!.body.toString()) as Record<string, string>;
      expect(asked).toMatchObject({
        request: Buffer.from(preattestationAt(100), 'hex').toString('base64'),
        source: '127.0.0.1',
        public_key_hash: W,
      });

      // each way of saying no, then yes at the same level: the refusal moved no watermark
      const rows: [string, () => void, number, string | RegExp][] = [
        ['403', () => hook.answer(() => ({ status: 403 })), 403, failure('policy hook: 403 Forbidden')],
        ['500', () => hook.answer(() => ({ status: 500 })), 500, failure('policy hook: 500 Internal Server Error')],
        [
          'redirect',
          () => hook.answer(() => ({ status: 307, headers: { location: `${hook.origin}/other` } })),
          500,
          /policy hook: 307 Temporary Redirect/,
        ],
        ['slow', () => hook.answer(() => 'hang'), 500, /no answer within 5000 ms/],
      ];
      let level = 200;
      for (const [name, refuse, status, body] of rows) {
        refuse();
        const r = await sign(d, preattestationAt(level));
        expect([name, r.status]).toEqual([name, status]);
        expect(r.text).toMatch(body);
        hook.answer(() => ({ status: 204 }));
        expect([name, (await sign(d, preattestationAt(level))).status]).toEqual([name, 200]);
        level += 1;
      }
      const m = await metrics(d);
      expect(m).toContain(`policy_violation_total{violation_type="policy_hook",address="${W}",operation_type="request"} 4`);
      expect(m).toContain(`policy_violation_total{violation_type="generic",address="${W}",operation_type="request"} 1`);
      expect(m).toMatch(/policy_hook_request_duration_seconds_count\{result="allow"\} 5/);
      expect(m).toMatch(/policy_hook_request_duration_seconds_count\{result="deny"\} 1/);
      expect(m).toMatch(/policy_hook_request_duration_seconds_count\{result="error"\} 3/);
    } finally {
      await d.shutdown();
    }
  });

  it('a hook that is down: 500 and nothing signed; back up, the same level signs', async () => {
    const down = await startHookServer();
    const address = down.url;
    await down.stop();
    const baseDir = await mkdtemp(path.join(local.dir, 'b-'));
    const { d } = await start(`policy_hook:\n  address: ${address}\n`, baseDir);
    try {
      const r = await sign(d, preattestationAt(100));
      expect(r.status).toBe(500);
      expect(r.text).toMatch(/policy hook: POST http:\/\/127\.0\.0\.1:\d+\/hook: .*ECONNREFUSED/);
    } finally {
      await d.shutdown();
    }
    // the same base_dir with a hook that answers: the level was never taken
    const { d: d2 } = await start(`policy_hook:\n  address: ${hook.url}\n`, baseDir);
    try {
      expect((await sign(d2, preattestationAt(100))).status).toBe(200);
    } finally {
      await d2.shutdown();
    }
  });

  it('signed replies: a reply signed by an authorized key signs; one by another key is 401', async () => {
    const other = new InMemorySigner('edsk4TjJWEszkHKono7XMnepVqwi37FrpbVt1KCsifJeAGimxheShG');
    const { d } = await start(
      `policy_hook:\n  address: ${hook.url}\n  authorized_keys: [${await HOOK_KEY.publicKey()}]\n`,
      await mkdtemp(path.join(local.dir, 'c-')),
    );
    const answerSignedBy = (signer: InMemorySigner) =>
      hook.answer(async (req) => {
        const { nonce } = JSON.parse(req.body.toString()) as { nonce: string };
        const payload = JSON.stringify({ status: 200, error: '', public_key_hash: await signer.publicKeyHash(), nonce });
        const { prefixSig } = await signer.sign(Buffer.from(payload).toString('hex'));
        return { status: 200, body: `{"payload":${payload},"signature":"${prefixSig}"}` };
      });
    try {
      answerSignedBy(other);
      expect(await sign(d, preattestationAt(100))).toEqual({ status: 401, text: failure('public key not found') });
      answerSignedBy(HOOK_KEY);
      expect((await sign(d, preattestationAt(100))).status).toBe(200);
    } finally {
      await d.shutdown();
    }
  });
});
