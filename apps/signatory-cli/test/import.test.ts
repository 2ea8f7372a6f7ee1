/**
 * `signatory-cli import` and `generate` through the built CLI against kms-local (child process).
 * Oracles: Taquito's InMemorySigner derives the public key and pkh of each secret; every imported
 * key then signs through KMS and Taquito verifySignature checks the signature against that key.
 */
import { generateKeyPairSync } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  DescribeKeyCommand,
  DisableKeyCommand,
  ListAliasesCommand,
  ListKeysCommand,
  ScheduleKeyDeletionCommand,
} from '@aws-sdk/client-kms';
import { b58Encode } from '@signatory-ts/core';
import { TZ1_SEED_KEY, TZ2_KEY, TZ3_KEY } from '@signatory-ts/dev-servers';
import { InMemorySigner } from '@taquito/signer';
import { runCli, startKms, tempDir, writeConfig, type KmsChild, type Run } from './harness';
import { kmsSignatureVerifies } from './kms-signature';

// each test runs the CLI (a process loading the AWS SDK) several times in a row: on a loaded CI machine one run can
// take seconds, and a test then outlasts jest's default 60 s
jest.setTimeout(180_000);

let kms: KmsChild;
let dir: string;
let config: string;

beforeAll(async () => {
  kms = await startKms();
  dir = tempDir('cli-import-');
  config = writeConfig(dir, { url: kms.url });
});
afterAll(async () => {
  await kms.stop();
  rmSync(dir, { recursive: true, force: true });
});
afterEach(() => kms.clearFaults());

/** The three `Label: value` lines import/generate print. */
function printed(r: Run): { pkh: string; publicKey: string; arn: string } {
  const get = (label: string) => new RegExp(`^${label}:\\s+(\\S+)$`, 'm').exec(r.stdout)?.[1];
  return { pkh: get('Public Key Hash')!, publicKey: get('Public Key')!, arn: get('Reference')! };
}

async function keyArns(): Promise<string[]> {
  const ids: string[] = [];
  let Marker: string | undefined;
  do {
    const page = await kms.client.send(new ListKeysCommand({ Marker }));
    ids.push(...(page.Keys ?? []).map((k) => k.KeyArn!));
    Marker = page.Truncated ? page.NextMarker : undefined;
  } while (Marker);
  return ids;
}

async function keyState(keyId: string) {
  return (await kms.client.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata!.KeyState;
}

async function expectImported(r: Run, secret: string, password?: string) {
  expect(r.stderr).not.toContain(secret);
  if (password) expect(r.stderr + r.stdout).not.toContain(password);
  expect(r.code).toBe(0);
  const signer = await InMemorySigner.fromSecretKey(secret, password);
  const out = printed(r);
  expect(out.pkh).toBe(await signer.publicKeyHash());
  expect(out.publicKey).toBe(await signer.publicKey());
  expect(out.arn).toMatch(/^arn:aws:kms:us-east-1:111122223333:key\/[0-9a-f-]{36}$/);
  expect(await keyState(out.arn)).toBe('Enabled');
  expect(await kmsSignatureVerifies(kms.client, out.arn, await signer.publicKey())).toBe(true);
  return out;
}

const { sk: EDSK_SEED, sk64: EDSK_64 } = TZ1_SEED_KEY;
const SPSK = TZ2_KEY.sk;
const P2SK = TZ3_KEY.sk;
const EDESK = 'edesk1zxaPJkhNGSzgZDDSphvPzSNrnbmqes8xzUrw1wdFxdRT7ePiQz8D2Q18fMjn6fC9ZRS2rUbg8d8snxxznE';
const SPESK = 'spesk21cruoqtYmxfq5fpkXiZZRLRw4vh7VFJauGCAgHxZf3q6Q5LTv9m9dnMxyVjna6RzWQL45q4ppGLh97xZpV';
const P2ESK = 'p2esk1rqdHRPz4xQh8uP8JaWSVnGFTKxkh2utdjK5CPDTXAzzh5sXnnobLkGrXEZzGhCKFDSjv8Ggrjt7PnobRzs';

describe('signatory-cli import', () => {
  it('imports an edsk seed (54 characters) given as an argument', async () => {
    const r = await runCli(['import', '-c', config, '--vault', 'kms', EDSK_SEED]);
    const out = await expectImported(r, EDSK_SEED);
    expect(out.pkh).toBe('tz1LggX2HUdvJ1tF4Fvv8fjsrzLeW4Jr9t2Q');
  });

  it('refuses a key the vault already holds, naming its ARN; --allow-duplicate imports it anyway (98-character edsk form of the seed above, on stdin)', async () => {
    const before = await keyArns();
    const refused = await runCli(['import', '-c', config, '--vault', 'kms'], { input: `${EDSK_64}\n` });
    expect(refused.code).toBe(2);
    const named = /already holds tz1LggX2HUdvJ1tF4Fvv8fjsrzLeW4Jr9t2Q as (arn:\S+); nothing was imported .*pass --allow-duplicate/.exec(
      refused.stderr,
    )?.[1];
    expect(before).toContain(named);
    expect(await keyState(named!)).toBe('Enabled');
    expect(refused.stderr).not.toContain(EDSK_64);
    expect(await keyArns()).toEqual(before);

    const r = await runCli(['import', '-c', config, '--vault', 'kms', '--allow-duplicate'], { input: `${EDSK_64}\n` });
    const out = await expectImported(r, EDSK_64);
    expect(out.pkh).toBe('tz1LggX2HUdvJ1tF4Fvv8fjsrzLeW4Jr9t2Q');
    expect(out.arn).not.toBe(named);
  });

  it('a key the vault holds only in an unusable state (disabled, pending deletion) does not block a new import', async () => {
    const pem = path.join(dir, 'again.pem');
    writeFileSync(pem, generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }));
    const first = await runCli(['import', '-c', config, '--vault', 'kms', '-f', pem]);
    expect(first.code).toBe(0);
    const arn = printed(first).arn;
    await kms.client.send(new DisableKeyCommand({ KeyId: arn }));
    const second = await runCli(['import', '-c', config, '--vault', 'kms', '-f', pem]);
    expect(second.code).toBe(0);
    expect(printed(second).pkh).toBe(printed(first).pkh);
    expect(second.stderr).toContain(`import: key ${arn} could not be checked for ${printed(first).pkh}:`); // named, not silent
    await kms.client.send(new ScheduleKeyDeletionCommand({ KeyId: printed(second).arn, PendingWindowInDays: 7 }));
    const third = await runCli(['import', '-c', config, '--vault', 'kms', '-f', pem]);
    expect(third.code).toBe(0);
    expect(await keyState(printed(third).arn)).toBe('Enabled');
  });

  it('a vault that cannot be listed stops the import (nothing is known about duplicates), unless --allow-duplicate', async () => {
    const pem = path.join(dir, 'unlisted.pem');
    writeFileSync(pem, generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ format: 'pem', type: 'pkcs8' }));
    const before = await keyArns();
    await kms.faults({ fail: { count: 100, errorType: 'AccessDeniedException', operations: ['ListKeys'] } });
    const r = await runCli(['import', '-c', config, '--vault', 'kms', '-f', pem]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(
      /import: cannot check whether vault "kms" already holds tz3\w+: .*AccessDeniedException.*; nothing was imported \(fix the access, or pass --allow-duplicate to import without the check\)/,
    );
    await kms.clearFaults();
    expect(await keyArns()).toEqual(before);
    await kms.faults({ fail: { count: 100, errorType: 'AccessDeniedException', operations: ['ListKeys'] } });
    const forced = await runCli(['import', '-c', config, '--vault', 'kms', '--allow-duplicate', '-f', pem]);
    expect(forced.code).toBe(0);
    expect(printed(forced).pkh).toMatch(/^tz3/);
  });

  it('imports spsk (tz2) and p2sk (tz3)', async () => {
    // two keys of other addresses: the imports are independent and run at once
    const [spRun, p2Run] = await Promise.all([
      runCli(['import', '-c', config, '--vault', 'kms', SPSK]),
      runCli(['import', '-c', config, '--vault', 'kms', P2SK]),
    ]);
    const sp = await expectImported(spRun, SPSK);
    expect(sp.pkh).toBe('tz2QPsZoZse4eeahhg5DdfnBDB4VbU1PwgxN');
    const p2 = await expectImported(p2Run, P2SK);
    expect(p2.pkh).toBe('tz3ZbCsUveF3Q6WUNkThT1wyJyhPunanaAXK');
  });

  it('imports encrypted edesk, spesk and p2esk with the password from --password-file or SIGNATORY_PASSWORD', async () => {
    const pwFile = path.join(dir, 'password');
    writeFileSync(pwFile, 'qqq\n', { mode: 0o600 });
    // three keys of three addresses: independent imports, run at once
    const [ed, sp, p2Run] = await Promise.all([
      runCli(['import', '-c', config, '--vault', 'kms', '--password-file', pwFile, EDESK]),
      runCli(['import', '-c', config, '--vault', 'kms', SPESK], { env: { SIGNATORY_PASSWORD: 'qqq' } }),
      runCli(['import', '-c', config, '--vault', 'kms', '--password-file', pwFile], { input: P2ESK }),
    ]);
    await expectImported(ed, EDESK, 'qqq');
    await expectImported(sp, SPESK, 'qqq');
    const p2 = await expectImported(p2Run, P2ESK, 'qqq');
    expect(p2.publicKey).toBe('p2pk68Ky2h9UZZ4jUYws8mU8Cazhu4H1LdK22wD8HgDPRSvsJPBDtJ7');
  });

  it('imports a PKCS#8 PEM file (-f) and names the key with --alias', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const pem = path.join(dir, 'key.pem');
    writeFileSync(pem, privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
    const d = Buffer.from(privateKey.export({ format: 'jwk' }).d!, 'base64url');
    const asTezos = b58Encode('p2sk', d);
    const r = await runCli(['import', '-c', config, '--vault', 'kms', '-f', pem, '--alias', 'tezos/pem-baker']);
    const out = await expectImported(r, asTezos);
    expect(r.stdout).toMatch(/^Alias:\s+alias\/tezos\/pem-baker$/m);
    const aliases = await kms.client.send(new ListAliasesCommand({ KeyId: out.arn }));
    expect(aliases.Aliases?.map((a) => a.AliasName)).toEqual(['alias/tezos/pem-baker']);
  });

  it('takes the alias from -o name:<alias> too', async () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    const pem = path.join(dir, 'ed.pem');
    writeFileSync(pem, privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
    const r = await runCli(['import', '-c', config, '--vault', 'kms', '-f', pem, '-o', 'name:ed-key']);
    expect(r.code).toBe(0);
    expect(printed(r).pkh).toMatch(/^tz1/);
    expect(r.stdout).toMatch(/^Alias:\s+alias\/ed-key$/m);
  });

  describe('refusals leave no usable key behind', () => {
    it('a wrong password: clear error, nothing created', async () => {
      const before = await keyArns();
      const r = await runCli(['import', '-c', config, '--vault', 'kms', SPESK], { env: { SIGNATORY_PASSWORD: 'hunter2-not-it' } });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('wrong password');
      expect(r.stderr).not.toContain('hunter2-not-it');
      expect(await keyArns()).toEqual(before);
    });

    it('an encrypted key with no password source and no terminal: says how to give one', async () => {
      const r = await runCli(['import', '-c', config, '--vault', 'kms', EDESK]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('--password-file or SIGNATORY_PASSWORD');
    });

    it('a corrupted key (bad checksum) or garbage: clear error, nothing created', async () => {
      const before = await keyArns();
      const corrupted = P2SK.slice(0, 20) + (P2SK[20] === 'a' ? 'b' : 'a') + P2SK.slice(21);
      const [r, junk] = await Promise.all([
        runCli(['import', '-c', config, '--vault', 'kms', corrupted]),
        runCli(['import', '-c', config, '--vault', 'kms', 'hello']),
      ]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/checksum|not valid base58/i);
      expect(r.stderr).not.toContain(corrupted);
      expect(junk.code).toBe(2);
      expect(await keyArns()).toEqual(before);
    });

    it('a tz4 (BLsk) key: refused before any KMS call', async () => {
      const before = await keyArns();
      const blsk = b58Encode('BLsk', Buffer.alloc(32, 1));
      const r = await runCli(['import', '-c', config, '--vault', 'kms', blsk]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/tz4 key .*cannot be held by AWS KMS/);
      expect(await keyArns()).toEqual(before);
    });

    describe('oversized input is refused without reading it all, and parsed in linear time', () => {
      const TOO_LONG =
        /more than 64 KiB \(the limit: a secret key, PEM key or password is a few hundred bytes at most\); give the key alone/;

      it('300 KB piped on stdin', async () => {
        const before = await keyArns();
        const r = await runCli(['import', '-c', config, '--vault', 'kms'], { input: 'edsk' + '1'.repeat(300_000) });
        expect(r.code).toBe(2);
        expect(r.stderr).toMatch(new RegExp(`stdin: ${TOO_LONG.source}`));
        expect(await keyArns()).toEqual(before);
      });

      it('-f /dev/zero (it never ends)', async () => {
        const r = await runCli(['import', '-c', config, '--vault', 'kms', '-f', '/dev/zero']);
        expect(r.code).toBe(2);
        expect(r.stderr).toMatch(new RegExp(`-f /dev/zero: ${TOO_LONG.source}`));
      });

      it('-f of a 300 KB file', async () => {
        const before = await keyArns();
        const big = path.join(dir, 'big.pem');
        writeFileSync(big, `-----BEGIN PRIVATE KEY-----\n${'A'.repeat(300_000)}\n-----END PRIVATE KEY-----\n`);
        const r = await runCli(['import', '-c', config, '--vault', 'kms', '-f', big]);
        expect(r.code).toBe(2);
        expect(r.stderr).toMatch(new RegExp(`-f ${big}: ${TOO_LONG.source}`));
        expect(await keyArns()).toEqual(before);
      });

      it('--password-file /dev/zero', async () => {
        const r = await runCli(['import', '-c', config, '--vault', 'kms', '--password-file', '/dev/zero', EDESK]);
        expect(r.code).toBe(2);
        expect(r.stderr).toMatch(new RegExp(`--password-file /dev/zero: ${TOO_LONG.source}`));
      });

      it('a long single token under the bound is refused by its length, before base58 decoding', async () => {
        const r = await runCli(['import', '-c', config, '--vault', 'kms'], { input: 'edsk' + '1'.repeat(60_000) });
        expect(r.code).toBe(2);
        expect(r.stderr).toContain(
          'import: not a Tezos secret key: 60004 characters, where a secret key (edsk, spsk, p2sk, edesk, spesk, p2esk) has at most 98; give the key alone',
        );
      });
    });

    it('an unknown vault name: clear error naming the vaults there are', async () => {
      const r = await runCli(['import', '-c', config, '--vault', 'nope', P2SK]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('vault "nope" is not found');
      expect(r.stderr).toContain('vaults: kms');
    });

    it('KMS failing at ImportKeyMaterial (past the retries): the half-made key is scheduled for deletion and the error says so', async () => {
      const before = new Set(await keyArns());
      await kms.faults({ fail: { count: 20, errorType: 'KMSInternalException', operations: ['ImportKeyMaterial'] } });
      const r = await runCli(['import', '-c', config, '--vault', 'kms', '--allow-duplicate', SPSK]);
      expect(r.code).toBe(7);
      expect(r.stderr).toMatch(/import failed: KMSInternalException/);
      const arn = /key (arn:\S+) is scheduled for deletion on \d{4}-\d\d-\d\d/.exec(r.stderr)?.[1];
      expect(arn).toBeDefined();
      const added = (await keyArns()).filter((a) => !before.has(a));
      expect(added).toEqual([arn]);
      expect(await keyState(arn!)).toBe('PendingDeletion');
    });

    it('a KMS error it will not retry (bad import token) also leaves the key pending deletion', async () => {
      await kms.faults({ fail: { count: 1, errorType: 'InvalidImportTokenException', operations: ['ImportKeyMaterial'] } });
      const r = await runCli(['import', '-c', config, '--vault', 'kms', '--allow-duplicate', P2SK]);
      expect(r.code).toBe(7);
      const arn = /key (arn:\S+) is scheduled for deletion/.exec(r.stderr)?.[1];
      expect(await keyState(arn!)).toBe('PendingDeletion');
    });

    it('one transient KMS error is retried and the import succeeds', async () => {
      await kms.faults({ fail: { count: 1, errorType: 'KMSInternalException', operations: ['ImportKeyMaterial'] } });
      await expectImported(await runCli(['import', '-c', config, '--vault', 'kms', '--allow-duplicate', SPSK]), SPSK);
    });
  });
});

describe('signatory-cli generate', () => {
  it.each(['tz1', 'tz2', 'tz3'])('makes a %s key in KMS, prints its pkh and the tezos: snippet', async (type) => {
    const r = await runCli(['generate', '-c', config, '--vault', 'kms', '--type', type, '--alias', `gen/${type}`]);
    expect(r.code).toBe(0);
    const out = printed(r);
    expect(out.pkh.startsWith(type)).toBe(true);
    expect(r.stdout).toContain(`tezos:\n  ${out.pkh}:\n`);
    expect(await kmsSignatureVerifies(kms.client, `alias/gen/${type}`, out.publicKey)).toBe(true);
  });

  it('refuses tz4 and unknown types before any KMS call', async () => {
    const before = await keyArns();
    // a name every object has (not an own key of the type table) is no key type either
    const [r, proto] = await Promise.all([
      runCli(['generate', '-c', config, '--vault', 'kms', '--type', 'tz4']),
      runCli(['generate', '-c', config, '--vault', 'kms', '--type', 'constructor']),
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no BLS12-381');
    expect(proto.code).toBe(2);
    expect(proto.stderr).toContain('--type must be tz1, tz2 or tz3, got "constructor"');
    expect(await keyArns()).toEqual(before);
  });
});
