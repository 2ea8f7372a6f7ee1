import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isSignatoryError } from '@signatory-ts/core';
import { issue, makeCa, makeExpiredCa, startHookServer, tempDirs, type HookServer, type Issued } from '@signatory-ts/dev-servers';
import { PolicyHook, type SignContext } from '../src';

// An https hook on 127.0.0.1 whose certificate is issued by a CA made here with openssl: trusted through
// policy_hook.ca_file only, by that hook only; every failure to trust it is a refusal naming TLS.

/** The hook's timeout where an answer or a TLS failure is expected: a loaded machine must not turn either into a timeout. */
const SLOW_OK = 30_000;
const ctx: SignContext = { pkh: 'tz1WGcYos3hL7GXYXjKrMnSFdkT7FyXnFBvf', requestKind: 'preattestation', source: '127.0.0.1' };

const dirs = tempDirs('policy-hook-tls-');
let dir: string;
let ca: Issued;
let otherCa: Issued;
/** Valid 2020-01-01 to 2020-01-02. */
let expiredCa: Issued;
let hook: HookServer;
beforeAll(async () => {
  dir = dirs.make();
  ca = makeCa(dir, 'hook-ca');
  otherCa = makeCa(dir, 'other-ca');
  expiredCa = makeExpiredCa(dir, 'expired-ca');
  const server = issue(dir, ca, 'hook', 'server');
  hook = await startHookServer(undefined, { tls: { cert: readFileSync(server.cert), key: readFileSync(server.key) } });
});
afterAll(async () => {
  await hook?.stop();
  dirs.removeAll();
});
beforeEach(() => {
  hook.requests.length = 0;
  hook.answer(() => ({ status: 204 }));
});

/** A file in the suite's directory with this text. */
const file = (name: string, text: string | Buffer) => {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
};

describe('policy_hook.ca_file', () => {
  it("trusts the hook's CA: the hook is asked and its yes and no count", async () => {
    const trusting = new PolicyHook({ address: hook.url, caFile: ca.cert, timeoutMs: SLOW_OK });
    expect(await trusting.evaluate(ctx)).toEqual({ allow: true });
    hook.answer(() => ({ status: 403 }));
    expect(await trusting.evaluate(ctx)).toMatchObject({ allow: false, code: 'policy_denied', reason: 'policy hook: 403 Forbidden' });
    expect(hook.requests).toHaveLength(2);
  });

  it('takes a bundle: the CA may be any certificate of the file, expired ones beside it', async () => {
    const bundle = file('bundle.pem', Buffer.concat([readFileSync(expiredCa.cert), readFileSync(otherCa.cert), readFileSync(ca.cert)]));
    expect(await new PolicyHook({ address: hook.url, caFile: bundle, timeoutMs: SLOW_OK }).evaluate(ctx)).toEqual({ allow: true });
  });

  it("without ca_file (Node's default CAs), the hook is never asked: refused naming TLS and the setting", async () => {
    // a hook that trusts the CA exists in this process: the trust is its own, not process-wide
    new PolicyHook({ address: hook.url, caFile: ca.cert });
    const d = await new PolicyHook({ address: hook.url, timeoutMs: SLOW_OK }).evaluate(ctx);
    expect(d).toEqual({
      allow: false,
      rule: 'policy_hook',
      code: 'internal',
      reason:
        `policy hook: POST ${hook.url}: TLS handshake failed: unable to verify the first certificate (UNABLE_TO_VERIFY_LEAF_SIGNATURE); ` +
        "the hook's certificate must chain to one of Node's default CAs (for a private CA, set policy_hook.ca_file) and name the host of policy_hook.address; nothing was signed",
    });
    expect(hook.requests).toHaveLength(0);
  });

  it('with the wrong CA, refused naming the file; the hook is never asked', async () => {
    const d = await new PolicyHook({ address: hook.url, caFile: otherCa.cert, timeoutMs: SLOW_OK }).evaluate(ctx);
    expect(d).toMatchObject({ allow: false, rule: 'policy_hook', code: 'internal' });
    expect(d).toMatchObject({
      reason:
        `policy hook: POST ${hook.url}: TLS handshake failed: unable to verify the first certificate (UNABLE_TO_VERIFY_LEAF_SIGNATURE); ` +
        `the hook's certificate must chain to a CA in policy_hook.ca_file (${otherCa.cert}) and name the host of policy_hook.address; nothing was signed`,
    });
    expect(hook.requests).toHaveLength(0);
  });

  it("the hook's certificate must name the address's host: trusted CA, other name, refused; the hook is never asked", async () => {
    // the certificate names IP 127.0.0.1; the same server reached as localhost is not the host it names
    const d = await new PolicyHook({ address: hook.url.replace('127.0.0.1', 'localhost'), caFile: ca.cert, timeoutMs: SLOW_OK }).evaluate(
      ctx,
    );
    expect(d).toMatchObject({ allow: false, code: 'internal', reason: expect.stringContaining('ERR_TLS_CERT_ALTNAME_INVALID') as string });
    expect(d).toMatchObject({ reason: expect.stringContaining(': TLS handshake failed: ') as string });
    expect(hook.requests).toHaveLength(0);
  });

  it('an https address to a hook that speaks plain http: refused as a TLS failure', async () => {
    const plain = await startHookServer();
    try {
      const d = await new PolicyHook({ address: plain.url.replace('http:', 'https:'), caFile: ca.cert, timeoutMs: SLOW_OK }).evaluate(ctx);
      expect(d).toMatchObject({ allow: false, code: 'internal', reason: expect.stringContaining(': TLS handshake failed: ') as string });
      expect(plain.requests).toHaveLength(0);
    } finally {
      await plain.stop();
    }
  });

  it('a hook that hangs after the handshake is a timeout, not a TLS failure', async () => {
    hook.answer(() => 'hang');
    const d = await new PolicyHook({ address: hook.url, caFile: ca.cert, timeoutMs: 200 }).evaluate(ctx);
    expect(d).toMatchObject({
      allow: false,
      code: 'internal',
      reason: `policy hook: POST ${hook.url}: no answer within 200 ms (policy_hook.timeout_ms); nothing was signed`,
    });
  });
});

describe('a policy_hook.ca_file that cannot be used is a config error when the hook is built', () => {
  const fix = "give the PEM file of the CA that signed the hook's certificate";
  const problem = (caFile: string, address = hook.url) => {
    try {
      new PolicyHook({ address, caFile });
    } catch (e) {
      if (!isSignatoryError(e)) throw e;
      return { code: e.code, message: e.message };
    }
    throw new Error('the hook was built');
  };

  it.each<[string, () => string, (f: string) => string]>([
    ['missing', () => path.join(dir, 'none.pem'), (f) => `policy_hook.ca_file: cannot read ${f}: no such file; ${fix}`],
    ['a directory', () => dir, (f) => `policy_hook.ca_file: cannot read ${f}: it is a directory, not a file; ${fix}`],
    [
      'not PEM (a private key)',
      () => ca.key,
      (f) => `policy_hook.ca_file: ${f} is not a PEM certificate file (no "-----BEGIN CERTIFICATE-----" block); ${fix}`,
    ],
    [
      'a damaged certificate (after a valid one)',
      () => file('damaged.pem', `${readFileSync(ca.cert, 'utf8')}-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n`),
      (f) =>
        expect.stringMatching(new RegExp(`^policy_hook\\.ca_file: certificate 2 in ${f} cannot be parsed \\(.+\\); ${fix}$`)) as string,
    ],
    [
      'an expired CA',
      () => expiredCa.cert,
      (f) =>
        `policy_hook.ca_file: ${f}: its certificate expired on Jan  2 00:00:00 2020 GMT, so no hook certificate could be trusted (OpenSSL checks a CA's dates too); give the PEM file of a CA that is valid now`,
    ],
    [
      'only expired CAs',
      () => file('all-expired.pem', Buffer.concat([readFileSync(expiredCa.cert), readFileSync(expiredCa.cert)])),
      (f) =>
        `policy_hook.ca_file: ${f}: certificate 1 expired on Jan  2 00:00:00 2020 GMT, certificate 2 expired on Jan  2 00:00:00 2020 GMT, so no hook certificate could be trusted (OpenSSL checks a CA's dates too); give the PEM file of a CA that is valid now`,
    ],
  ])('%s', (_, make, want) => {
    const f = make();
    expect(problem(f)).toEqual({ code: 'config_invalid', message: want(f) });
  });

  it('with an http address', () => {
    expect(problem(ca.cert, 'http://127.0.0.1:9/hook')).toEqual({
      code: 'config_invalid',
      message: 'policy_hook.ca_file: is set but policy_hook.address is plain http: use an https:// address',
    });
  });
});
