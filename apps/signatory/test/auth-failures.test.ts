import { networkInterfaces } from 'node:os';
import { mkdtemp } from 'node:fs/promises';
import path from 'node:path';
import { parseConfig } from '@signatory-ts/config';
import { encodePublicKey, encodeSignature, parseSecretKey, secretKeyPublicKey, signWithSecretKey } from '@signatory-ts/core';
import { awsKmsOpener } from '../src/aws-vault';
import { AuthFailureLimit, clientKey } from '../src/auth-failures';
import { serve } from '../src/daemon';
import { createMetrics, MAX_CLIENT_IPS } from '../src/metrics';
import { captureLogs, startLocalKms } from './harness';
import { W, W_SK } from './keys';

// Failed logins are counted per client: an IPv4 address, or an IPv6 /64 (one
// holder of a /64 has 2^64 addresses), an IPv4-mapped IPv6 address being its IPv4 client; request signatures
// per address, IPv6 included (that 429 stops signing).

describe('clientKey', () => {
  it.each([
    ['IPv4', '203.0.113.7', '203.0.113.7'],
    ['IPv4-mapped IPv6, as a dual-stack listener shows an IPv4 client', '::ffff:203.0.113.7', '203.0.113.7'],
    ['IPv4-mapped, upper case', '::FFFF:203.0.113.7', '203.0.113.7'],
    ['IPv4-mapped, written in hex', '::ffff:cb00:7107', '203.0.113.7'],
    ['IPv4-mapped, written in full', '0:0:0:0:0:ffff:203.0.113.7', '203.0.113.7'],
    ['IPv6, compressed', '2001:db8:1:2::5', '2001:db8:1:2::/64'],
    [
      'IPv6, the same /64 written in full with leading zeros and upper case',
      '2001:0DB8:0001:0002:0000:0000:0000:0005',
      '2001:db8:1:2::/64',
    ],
    ['IPv6, the last address of that /64', '2001:db8:1:2:ffff:ffff:ffff:ffff', '2001:db8:1:2::/64'],
    ['IPv6, the next /64', '2001:db8:1:3::5', '2001:db8:1:3::/64'],
    ['IPv6, zeros in the prefix', '2001:db8::1', '2001:db8::/64'],
    ['IPv6, no zero group', '1:2:3:4:5:6:7:8', '1:2:3:4::/64'],
    ['IPv6 loopback', '::1', '::/64'],
    ['IPv6 unspecified', '::', '::/64'],
    ['link-local with a zone id', 'fe80::1:2%eth0', 'fe80::/64'],
    ['link-local with a numeric zone id', 'fe80::abcd%2', 'fe80::/64'],
    ['not IPv4-mapped: IPv4-translated (::ffff:0:0/96)', '::ffff:0:203.0.113.7', '::/64'],
    ['not IPv4-mapped: NAT64 (64:ff9b::/96)', '64:ff9b::203.0.113.7', '64:ff9b::/64'],
    ['no address (a socket already gone)', '', ''],
    ['not an IP address', 'localhost', 'localhost'],
  ])('%s: %s -> %s', (_, address, key) => {
    expect(clientKey(address)).toBe(key);
  });
});

describe('AuthFailureLimit', () => {
  const now = () => 1_000_000;

  it('counts every address of an IPv6 /64 together; the next /64 is not slowed down', () => {
    const limit = new AuthFailureLimit(2, 60_000, undefined, now);
    limit.fail('2001:db8:1:2::1');
    expect(limit.retryAfter('2001:db8:1:2::1')).toBe(0);
    limit.fail('2001:db8:1:2:aaaa:bbbb:cccc:dddd');
    expect(limit.retryAfter('2001:db8:1:2::1')).toBe(60_000);
    expect(limit.retryAfter('2001:0db8:0001:0002::ffff')).toBe(60_000);
    expect(limit.retryAfter('2001:db8:1:3::1')).toBe(0);
  });

  it('per address (request signatures): each IPv6 address on its own, a neighbour in the /64 does not stop another', () => {
    const limit = new AuthFailureLimit(2, 60_000, (a) => clientKey(a, true), now);
    limit.fail('2001:db8:1:2::1');
    limit.fail('2001:0DB8:1:2:0::1');
    expect(limit.retryAfter('2001:db8:1:2::1')).toBe(60_000);
    expect(limit.retryAfter('2001:db8:1:2::2')).toBe(0);
    limit.fail('::ffff:198.51.100.9');
    limit.fail('198.51.100.9');
    expect(limit.retryAfter('198.51.100.9')).toBe(60_000);
  });

  it('an IPv4 client counts as one, over a dual-stack listener or not', () => {
    const limit = new AuthFailureLimit(2, 60_000, undefined, now);
    limit.fail('::ffff:198.51.100.9');
    limit.fail('198.51.100.9');
    expect(limit.retryAfter('198.51.100.9')).toBe(60_000);
    expect(limit.retryAfter('::ffff:198.51.100.9')).toBe(60_000);
    expect(limit.retryAfter('198.51.100.10')).toBe(0);
  });
});

describe('authentication_failure_total client_ip', () => {
  it(`keeps ${MAX_CLIENT_IPS} distinct addresses, then counts further ones as other (a /64 cannot grow the registry without bound)`, async () => {
    const m = createMetrics({ defaultMetrics: false });
    const fail = (ip: string) =>
      m.authenticationFailures.inc({ status: '403', auth_method: 'authentication', client_ip: m.clientIpLabel(ip) });
    for (let i = 0; i < MAX_CLIENT_IPS + 50; i++) fail(`2001:db8:1:2::${i.toString(16)}`);
    fail('2001:db8:1:2::0'); // seen before the table filled: still its own series
    const lines = (await m.registry.metrics()).split('\n').filter((l) => l.startsWith('authentication_failure_total{'));
    expect(lines).toHaveLength(MAX_CLIENT_IPS + 1);
    expect(lines).toContain('authentication_failure_total{status="403",auth_method="authentication",client_ip="other"} 50');
    expect(lines).toContain('authentication_failure_total{status="403",auth_method="authentication",client_ip="2001:db8:1:2::0"} 2');
  });
});

const hasIpv6Loopback = Object.values(networkInterfaces()).some((list) => list?.some((i) => i.internal && i.address === '::1'));

// over HTTP the only IPv6 client address a test can use is ::1 (more would need root to add them)
const v6Title = 'POST /login and request signatures over [::1]';
(hasIpv6Loopback ? describe : describe.skip)(
  hasIpv6Loopback ? v6Title : `${v6Title}: skipped, this machine has no IPv6 loopback (::1)`,
  () => {
    /** A daemon listening on [::1] with `server` settings added, a limit of 2 failures a minute; `run` gets its port. */
    async function onV6(name: string, server: string, run: (d: Awaited<ReturnType<typeof serve>>) => Promise<void>) {
      const local = await startLocalKms(name, [{ secret: W_SK }]);
      const baseDir = await mkdtemp(path.join(local.dir, 'v6-'));
      const yaml = `base_dir: ${baseDir}
server:
  address: "[::1]:0"
  utility_address: 127.0.0.1:0
${server}
vaults:
  kms:
    driver: awskms
    config: {endpoint: "${local.kms.url}", region: us-east-1, access_key_id: AKIDTEST, secret_access_key: very-secret-value}
tezos:
  ${W}:
`;
      const d = await serve(parseConfig(yaml, { env: {} }), {
        logger: captureLogs().logger,
        openVault: awsKmsOpener(2000, () => undefined),
        maxAuthFailures: 2,
      });
      try {
        await run(d);
      } finally {
        await d.shutdown();
        await local.close();
      }
    }

    it('wrong passwords from ::1 are counted against its /64 and the 429 names it; the metric keeps the address', async () => {
      const jwt = '  jwt:\n    users:\n      alice: {password: "Correct-Horse-Battery-1", secret: "Zk3!mQ9#vR2$wT7%yU4^aB8&cD1*eF5("}';
      await onV6('auth-v6', jwt, async (d) => {
        const login = async (password: string) => {
          const r = await fetch(`http://[::1]:${d.main.port}/login`, { method: 'POST', headers: { username: 'alice', password } });
          return { status: r.status, text: await r.text() };
        };
        expect(await login('guess-1')).toEqual({ status: 401, text: 'Access denied' });
        expect(await login('guess-2')).toEqual({ status: 401, text: 'Access denied' });
        expect(await login('Correct-Horse-Battery-1')).toEqual({
          status: 429,
          text: expect.stringMatching(/^too many failed logins from ::\/64 \(2 a minute\); retry in \d+ s$/) as string,
        });
        const m = await (await fetch(`http://127.0.0.1:${d.utility.port}/metrics`)).text();
        expect(m).toContain('authentication_failure_total{status="429",auth_method="jwt_login",client_ip="::1"} 1');
      });
    });

    it('request signatures that match no key are counted against the address ::1 itself, not its /64 (that 429 stops signing)', async () => {
      const clientSk = parseSecretKey('edsk3ZAm9nqEo7qNugo2wcmxWnbDe7oUUmHt5UJYDdqwucsaHTAsVQ');
      await onV6('auth-v6-sig', `  authorized_keys: [${encodePublicKey(secretKeyPublicKey(clientSk))}]`, async (d) => {
        // a well-formed signature by the authorized key over other bytes: verified, matches nothing
        const s = signWithSecretKey(new Uint8Array([0]), clientSk);
        const bogus = encodeSignature(s.curve, s.bytes);
        const sign = async () => {
          const r = await fetch(`http://[::1]:${d.main.port}/keys/${W}?authentication=${bogus}`, { method: 'POST', body: '"0300"' });
          return { status: r.status, text: await r.text() };
        };
        expect((await sign()).status).toBe(403);
        expect((await sign()).status).toBe(403);
        const refused = await sign();
        expect(refused.status).toBe(429);
        expect((JSON.parse(refused.text) as { msg: string }[])[0]!.msg).toMatch(
          /^too many failed authentications from ::1 \(2 a minute\); retry in \d+ s$/,
        );
      });
    });
  },
);
