/**
 * Spend caps across replicas: three `signatory serve` processes on one shared store (PostgreSQL,
 * DynamoDB on dynalite, and the file store of one host) and one kms-local; a key capped at 10 tz per
 * hour; transfers forged by Taquito spread over the replicas as a load balancer would.
 */
import { mkdir, rename, rmdir } from 'node:fs/promises';
import path from 'node:path';
import { formatTez as tez } from '@signatory-ts/config';
import { transfer as forgeTransfer } from './payloads';
import { stop, type KmsKey } from './processes';
import { ReleaseChecker, ReplicaSet, sign, type Answer } from './replicas';
import { STORE_SETUPS, type RunningStore } from './stores';

const CAP = 10_000_000n;
const FEE = 1000n;
const ALLOW = ['{generic: [transaction, reveal]}', '    limits:', '      spend:', '        - {window: 1h, amount: 10tz}'].join('\n');

/** Three processes on a shared CI machine: each test gets far more time than it needs. */
const SLOW = 180_000;

describe.each(STORE_SETUPS)('spend caps across three replicas on one $name store', (setup) => {
  let running: RunningStore;
  let set: ReplicaSet;
  let key: KmsKey;
  let next = 0;
  let counter = 0;
  const via = () => set.replicas[next++ % set.replicas.length]!.url;
  const checker = new ReleaseChecker();

  /** A transfer of `amount` mutez plus a 1000 mutez fee, no storage: it spends amount + 1000. */
  const transfer = (amount: bigint) => forgeTransfer(key.pkh, amount, ++counter);
  /** Sends a transfer through the next replica; every 200 is checked to be a valid signature over it. */
  async function send(amount: bigint): Promise<Answer | undefined> {
    const hex = await transfer(amount);
    const a = await sign(via(), key.pkh, hex);
    checker.record(hex, hex, a, key.publicKey);
    return a;
  }
  /** What the replicas signed so far (the ledger's view, from the answers). */
  let signed = 0n;

  beforeAll(async () => {
    running = await setup.start();
    set = await ReplicaSet.start({
      name: 'spend',
      specs: ['ECC_NIST_P256'],
      storeYaml: running.yaml(`spend_${process.pid}`),
      count: 3,
      allow: ALLOW,
      // 20 writers racing on one DynamoDB item retry with backoff; on a shared CI machine dynalite needs more than the
      // default 4 s a ledger call gets (10 s request deadline − 5 s for the vault − 1 s for the rest)
      args: ['--request-deadline-ms', '30000'],
    });
    key = set.keys[0]!;
  }, SLOW);
  afterAll(async () => {
    await set?.stop();
    await running?.stop();
  });

  it(
    '20 concurrent transfers worth 2.5 times the cap: the signed total never exceeds it, and every refusal would have',
    async () => {
      // 0.5 tz to 1.95 tz: 25 tz in all against a 10 tz cap
      const amounts = Array.from({ length: 20 }, (_, i) => 500_000n + BigInt(i) * 76_000n - FEE);
      const answers = await Promise.all(amounts.map((a) => send(a)));
      const spends = amounts.map((a) => a + FEE);
      const total = spends.reduce((sum, s, i) => (answers[i]?.status === 200 ? sum + s : sum), 0n);
      expect(answers.filter((a) => a?.status !== 200 && a?.status !== 403)).toEqual([]);
      expect(total).toBeLessThanOrEqual(CAP);
      expect(total).toBeGreaterThan(0n);
      answers.forEach((a, i) => {
        if (a?.status !== 403) return;
        expect(a.msg).toMatch(/spend cap 10 tz per 1h: [\d.]+ tz spent, this request [\d.]+ tz/);
        // refused only when it did not fit: nothing is ever given back here, so the final total is a lower bound of what was spent
        expect(total + spends[i]!).toBeGreaterThan(CAP);
      });
      signed = total;
    },
    SLOW,
  );

  it(
    'a restart of every replica keeps the ledger: what is left is exactly what was left',
    async () => {
      expect(signed).toBeGreaterThan(0n);
      for (const r of set.replicas) {
        await stop(r.proc);
        // a clean stop: requests finished, the ledger closed after the signer
        expect(r.proc.child.exitCode).toBe(0);
        expect(r.proc.lines.some((l) => l.includes('msg="Signatory stopped"'))).toBe(true);
      }
      for (let i = 0; i < 3; i++) await set.restart(i);
      const left = CAP - signed;
      const over = await send(left - FEE + 1n);
      expect(over?.status).toBe(403);
      expect(over?.msg).toContain(`this request ${tez(left + 1n)}`);
      expect(over?.msg).toContain(`${tez(signed)} spent`);
      if (left > FEE) {
        expect((await send(left - FEE))?.status).toBe(200);
        signed = CAP;
      }
    },
    SLOW,
  );

  it(
    'a store outage refuses with 500 naming the spend ledger; nothing is signed; back, the budget is as it was',
    async () => {
      // the file store's outage: the key's ledger file unreadable (a directory in its place; the watermarks' outage would not touch it)
      const file = path.join(set.dir, 'spend_ledger', `${key.pkh}.json`);
      const back =
        setup.name === 'file'
          ? (await rename(file, `${file}.away`),
            await mkdir(file),
            async () => {
              await rmdir(file);
              await rename(`${file}.away`, file);
            })
          : await running.outage!(set.dir);
      try {
        const answers = await Promise.all([0, 1, 2].map(() => send(1n)));
        for (const a of answers) {
          expect(a?.status).toBe(500);
          expect(a?.msg).toContain('spend ledger');
        }
      } finally {
        await back();
      }
      const over = await send(CAP);
      expect(over?.status).toBe(403);
      expect(over?.msg).toContain(`${tez(signed)} spent`);
    },
    SLOW,
  );
});
