/**
 * `signatory-cli list` through the built CLI against kms-local (child process): Signatory's exact
 * block format, policies from the config, skipped keys with reasons, keys the config names but no
 * vault holds, more keys than one ListKeys page, and --json.
 */
import { rmSync } from 'node:fs';
import { CreateKeyCommand, DisableKeyCommand, type CreateKeyCommandInput, type KMSClient } from '@aws-sdk/client-kms';
import { importKey } from '@signatory-ts/vault-awskms';
import { InMemorySigner } from '@taquito/signer';
import { parseSecretKey, secretKeyToPkcs8 } from '@signatory-ts/core';
import { runCli, startKms, tempDir, writeConfig, type KmsChild } from './harness';

// each test runs the CLI (a process loading the AWS SDK) several times in a row: on a loaded CI machine one run can
// take seconds, and a test then outlasts jest's default 60 s
jest.setTimeout(180_000);

const P2SK = 'p2sk2rUMnnnFPQCB7DBozkCZrFhiZ87ddrpAHbRcww7dwU2WHYUbci'; // tz3ZbCsUveF3Q6WUNkThT1wyJyhPunanaAXK
const SPSK = 'spsk1XYsTqUsd7LaLs9a8qpmCvLVJeLEZEXkeAZS5dwcKgUZhv3cYw'; // tz2QPsZoZse4eeahhg5DdfnBDB4VbU1PwgxN
const EDSK = 'edsk4FTF78Qf1m2rykGpHqostAiq5gYW4YZEoGUSWBTJr2njsDHSnd'; // tz1LggX2HUdvJ1tF4Fvv8fjsrzLeW4Jr9t2Q
const ABSENT = 'tz1eWafUkYUnvoW55ZKzcRnkfXhr6ua314wP';

let kms: KmsChild;
let dir: string;
const arn: Record<string, string> = {};
const pk: Record<string, string> = {};
const skippedArns: string[] = [];

async function seed(client: KMSClient, secret: string, type: 'tz1' | 'tz2' | 'tz3') {
  const signer = await InMemorySigner.fromSecretKey(secret);
  const pkh = await signer.publicKeyHash();
  const made = await importKey(client, { type, pkcs8: secretKeyToPkcs8(parseSecretKey(secret)), pkh });
  arn[pkh] = made.keyId;
  pk[pkh] = await signer.publicKey();
}

beforeAll(async () => {
  kms = await startKms();
  dir = tempDir('cli-list-');
  // the keys are independent: all made at once
  const skipped = async (input: CreateKeyCommandInput) =>
    skippedArns.push((await kms.client.send(new CreateKeyCommand(input))).KeyMetadata!.Arn!);
  await Promise.all([
    seed(kms.client, P2SK, 'tz3'),
    seed(kms.client, SPSK, 'tz2'),
    seed(kms.client, EDSK, 'tz1'),
    // keys a Tezos signer must skip, not die on
    skipped({ KeySpec: 'SYMMETRIC_DEFAULT', KeyUsage: 'ENCRYPT_DECRYPT' }),
    skipped({ KeySpec: 'RSA_2048', KeyUsage: 'SIGN_VERIFY' }),
    skipped({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY', Origin: 'EXTERNAL' }),
    (async () => {
      const made = await kms.client.send(new CreateKeyCommand({ KeySpec: 'ECC_SECG_P256K1', KeyUsage: 'SIGN_VERIFY' }));
      const disabled = made.KeyMetadata!.Arn!;
      await kms.client.send(new DisableKeyCommand({ KeyId: disabled }));
      skippedArns.push(disabled);
    })(),
  ]);
}, 180_000);
afterAll(async () => {
  await kms.stop();
  rmSync(dir, { recursive: true, force: true });
});

const TEZOS = `  tz3ZbCsUveF3Q6WUNkThT1wyJyhPunanaAXK:
  tz2QPsZoZse4eeahhg5DdfnBDB4VbU1PwgxN:
    allow:
      generic: [transaction, delegation]
      block:
      attestation:
    allow_proof_of_possession: false
  ${ABSENT}:
`;

function block(pkh: string, active: string[] | null): string {
  const lines = [
    `Public Key Hash:           ${pkh}`,
    `Public Key:                ${pk[pkh]}`,
    `Reference:                 ${arn[pkh]}`,
    'Vault:                     AWSKMS',
    `Active:                    ${active !== null}`,
    ...(active ?? []),
  ];
  return lines.join('\n') + '\n\n';
}

describe('signatory-cli list', () => {
  it('prints every usable key in the Signatory block format, with its policy', async () => {
    const config = writeConfig(dir, { url: kms.url, tezos: TEZOS });
    const r = await runCli(['list', '-c', config]);
    expect(r.code).toBe(0);
    const records = r.stdout.split(/(?<=\n\n)/);
    expect(records).toHaveLength(3);
    expect(records).toContain(
      block('tz3ZbCsUveF3Q6WUNkThT1wyJyhPunanaAXK', [
        'Allowed Requests:          [block preattestation attestation]',
        'Allowed Operations:        []',
        'Allow Proof of Possession: false',
      ]),
    );
    expect(records).toContain(
      block('tz2QPsZoZse4eeahhg5DdfnBDB4VbU1PwgxN', [
        'Allowed Requests:          [attestation block generic]',
        'Allowed Operations:        [delegation transaction]',
        'Allow Proof of Possession: false',
      ]),
    );
    expect(records).toContain(block('tz1LggX2HUdvJ1tF4Fvv8fjsrzLeW4Jr9t2Q', null));
  });

  it('reports skipped keys after the list (summary; each with its reason under -v)', async () => {
    const config = writeConfig(dir, { url: kms.url, tezos: TEZOS });
    const [r, v] = await Promise.all([runCli(['list', '-c', config]), runCli(['list', '-c', config, '-v'])]);
    expect(r.stderr).toContain(`skipped ${skippedArns.length} keys`);
    expect(r.stderr).toContain('run with -v');
    for (const a of skippedArns) expect(v.stderr).toMatch(new RegExp(`${a.replace(/[/.]/g, '\\$&')}.*: \\S`));
    expect(v.stdout).toBe(r.stdout);
  });

  it('warns on stderr about a key under tezos: that no vault holds', async () => {
    const config = writeConfig(dir, { url: kms.url, tezos: TEZOS });
    const r = await runCli(['list', '-c', config]);
    expect(r.stderr).toContain(`${ABSENT} is configured under tezos: but no vault holds it`);
    expect(r.stdout).not.toContain(ABSENT);
  });

  it('--json gives the same keys and the skipped ones with reasons', async () => {
    const config = writeConfig(dir, { url: kms.url, tezos: TEZOS });
    const r = await runCli(['list', '-c', config, '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.keys).toHaveLength(3);
    expect(j.keys).toContainEqual({
      pkh: 'tz2QPsZoZse4eeahhg5DdfnBDB4VbU1PwgxN',
      publicKey: pk['tz2QPsZoZse4eeahhg5DdfnBDB4VbU1PwgxN'],
      reference: arn['tz2QPsZoZse4eeahhg5DdfnBDB4VbU1PwgxN'],
      vault: 'AWSKMS',
      active: true,
      allowedRequests: ['attestation', 'block', 'generic'],
      allowedOperations: ['delegation', 'transaction'],
      allowProofOfPossession: false,
    });
    expect(j.skipped.map((s: { id: string }) => s.id).sort()).toEqual([...skippedArns].sort());
    for (const s of j.skipped) expect(s.reason).toEqual(expect.any(String));
  });

  it('fails with a clear error and exit code 7 when KMS cannot be listed', async () => {
    const config = writeConfig(dir, { url: kms.url, tezos: TEZOS });
    await kms.faults({ fail: { errorType: 'UnrecognizedClientException', operations: ['ListKeys'] } });
    try {
      const r = await runCli(['list', '-c', config]);
      expect(r.code).toBe(7);
      expect(r.stderr).toMatch(/could not list a vault: kms: .*UnrecognizedClient/);
      expect(r.stderr).not.toContain('no vault holds it');
    } finally {
      await kms.clearFaults();
    }
  });
});

describe('signatory-cli list over more keys than one ListKeys page', () => {
  let big: KmsChild;
  const made = new Set<string>();
  beforeAll(async () => {
    big = await startKms();
    const specs = ['ECC_NIST_P256', 'ECC_SECG_P256K1', 'ECC_NIST_EDWARDS25519'] as const;
    // ten at a time: kms-local makes each key on its own
    for (let i = 0; i < 230; i += 10) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(10, 230 - i) }, (_, j) =>
          big.client.send(new CreateKeyCommand({ KeySpec: specs[(i + j) % 3], KeyUsage: 'SIGN_VERIFY' })),
        ),
      );
      for (const r of batch) made.add(r.KeyMetadata!.Arn!);
    }
  }, 180_000);
  afterAll(() => big.stop());

  it('lists every key across the ListKeys pages (100 a page), each once', async () => {
    const config = writeConfig(dir, { url: big.url });
    const r = await runCli(['list', '-c', config, '--json']);
    expect(r.code).toBe(0);
    const refs = JSON.parse(r.stdout).keys.map((k: { reference: string }) => k.reference);
    expect(refs).toHaveLength(230);
    expect(new Set(refs)).toEqual(made);
  });
});
