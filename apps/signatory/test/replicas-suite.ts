/**
 * Several replicas, one watermark: three `signatory serve` processes on one store (a row of stores.ts
 * STORE_SETUPS) and one kms-local, requests spread over them as a load balancer would. A checker verifies
 * every released signature and that no slot ever released two different ones.
 */
import { block, consensus } from './payloads';
import { until, type KmsKey } from './processes';
import { ReleaseChecker, ReplicaSet, sign, type Answer } from './replicas';
import { STORE_SETUPS, type RunningStore } from './stores';

type Kind = 'block' | 'preattestation' | 'attestation';
const payload = (kind: Kind, level: number, round: number, salt: number, chain: string) =>
  kind === 'block' ? block(level, round, salt, chain) : consensus(kind, level, round, salt, chain);

/** Three processes on a shared CI machine: each test gets far more time than it needs. */
const SLOW = 180_000;

/** The replica suite on one store; each store's file (e2e-replicas-<store>.test.ts) runs it, so jest's workers run them side by side. */
export function describeReplicas(name: string): void {
  const setup = STORE_SETUPS.find((s) => s.name === name);
  if (setup === undefined) throw new Error(`no store setup named ${name}`);
  describe(`three replicas on one ${name} store`, () => {
    let running: RunningStore;
    let set: ReplicaSet;
    let keys: readonly KmsKey[];
    let checker: ReleaseChecker;
    let next = 0;
    /** The next replica, round robin: what a load balancer does. */
    const via = () => set.replicas[next++ % set.replicas.length]!.url;

    /** Sends one request through the next replica and records what it released. */
    async function send(key: KmsKey, kind: Kind, level: number, round: number, salt: number, chain: string, url = via()) {
      const hex = payload(kind, level, round, salt, chain);
      const a = await sign(url, key.pkh, hex);
      checker.record(`${chain}/${key.pkh}/${kind}/${level}/${round}`, hex, a, key.publicKey);
      return a;
    }
    const statuses = (answers: (Answer | undefined)[]) => answers.map((a) => a?.status ?? 'unreachable');

    beforeAll(async () => {
      running = await setup.start();
      set = await ReplicaSet.start({
        name: 'replicas',
        specs: ['ECC_NIST_P256', 'ECC_NIST_EDWARDS25519'],
        storeYaml: running.yaml(`replicas_${process.pid}`),
        count: 3,
        // up to 150 requests at once on one store (dynalite runs in this process): on a loaded machine some took more than
        // the default 10 s. The store fails fast in the outage test (refused at once), whatever this deadline
        args: ['--request-deadline-ms', '60000'],
      });
      ({ keys } = set);
    });
    afterAll(async () => {
      await set?.stop();
      await running?.stop();
    });
    beforeEach(() => {
      checker = new ReleaseChecker();
    });
    afterEach(() => {
      expect(checker.doubleSigned()).toEqual([]);
    });

    it(
      '50 concurrent conflicting attestations per slot, spread over the replicas: exactly one 200, the rest 409',
      async () => {
        const chain = 'c0000001';
        for (const key of keys) {
          for (let level = 1; level <= 3; level++) {
            const answers = await Promise.all(Array.from({ length: 50 }, (_, salt) => send(key, 'attestation', level, 0, salt, chain)));
            const s = statuses(answers);
            expect(s.filter((x) => x === 200)).toHaveLength(1);
            expect(s.filter((x) => x === 409)).toHaveLength(49);
            expect(answers.find((a) => a!.status === 409)!.msg).toContain('watermark validation failed');
          }
        }
        expect(checker.slots).toBe(6);
      },
      SLOW,
    );

    it(
      '20 identical requests spread over the replicas all get the same signature',
      async () => {
        const chain = 'c0000002';
        for (const key of keys) {
          for (const kind of ['block', 'preattestation', 'attestation'] as const) {
            const answers = await Promise.all(Array.from({ length: 20 }, () => send(key, kind, 7, 1, 0, chain)));
            expect(statuses(answers)).toEqual(Array(20).fill(200));
            // P-256 signatures are randomized: one signature for all 20 means one was made and replayed
            expect(new Set(answers.map((a) => a!.signature)).size).toBe(1);
          }
        }
      },
      SLOW,
    );

    it(
      'a stream over many levels, blocks, preattestations and attestations mixed, conflicting and identical: nothing double-signed',
      async () => {
        const chain = 'c0000003';
        for (let level = 1; level <= 15; level++) {
          const requests: Promise<Answer | undefined>[] = [];
          for (const key of keys) {
            for (const kind of ['block', 'preattestation', 'attestation'] as const) {
              for (const round of [0, 1]) {
                // three conflicting payloads, the first sent three times (identical retries)
                for (const salt of [0, 1, 2, 0, 0]) requests.push(send(key, kind, level, round, salt, chain));
              }
            }
          }
          const answers = await Promise.all(requests);
          // anything but signed or refused by the watermark, with what it said
          expect(answers.filter((a) => a!.status !== 200 && a!.status !== 409).map((a) => `${a!.status} ${a!.msg ?? ''}`)).toEqual([]);
        }
        // every (key, kind, level) signed its round 1 (round 0 may lose to it); nothing is signed twice
        expect(checker.slots).toBeGreaterThanOrEqual(2 * 3 * 15);
      },
      SLOW,
    );

    it(
      'the store fails mid-stream: every replica answers 500 (never 409), releases nothing and /healthz is 503; back, signing resumes with every mark intact',
      async () => {
        if (running.outage === undefined) return; // this set-up cannot take its store away
        const chain = 'c0000005';
        const key = keys[0]!;
        for (let level = 1; level <= 5; level++) expect((await send(key, 'block', level, 0, 0, chain))?.status).toBe(200);
        const health = () => Promise.all(set.replicas.map((r) => fetch(`${r.utilityUrl}/healthz`).then((h) => h.status)));
        const restore = await running.outage(set.dir);
        let back = false;
        try {
          const during = await Promise.all(set.replicas.map((r, salt) => send(key, 'block', 6, 0, salt, chain, r.url)));
          expect(statuses(during)).toEqual([500, 500, 500]);
          for (const a of during) expect(a!.msg).not.toContain('watermark validation failed'); // a store error is not a refusal
          expect(await health()).toEqual([503, 503, 503]);
          await restore();
          back = true;
        } finally {
          if (!back) await restore();
        }
        expect(await health()).toEqual([200, 200, 200]); // re-checked on the call, no request needed
        expect((await send(key, 'block', 5, 0, 1, chain))?.status).toBe(409); // every mark intact
        const after = await Promise.all(set.replicas.map((r, salt) => send(key, 'block', 6, 0, salt, chain, r.url)));
        expect(statuses(after).sort()).toEqual([200, 409, 409]);
      },
      SLOW,
    );

    it(
      'kill -9 of one replica mid-stream: the others keep signing, nothing is double-signed, restarted it continues from the shared marks',
      async () => {
        const chain = 'c0000004';
        const key = keys[0]!;
        let level = 0;
        let lastSigned = 0;
        let killed = false;
        let signedAfterKill = 0;
        let stopped = false;
        let failure: unknown;
        const stream = (async () => {
          while (!stopped) {
            level++;
            // one conflicting payload to each replica, and an identical retry of the first to the next one
            const urls = set.replicas.map((r) => r.url);
            const answers = await Promise.all([
              ...urls.map((url, i) => send(key, 'block', level, 0, i, chain, url)),
              send(key, 'block', level, 0, 0, chain, urls[1]),
            ]);
            const oks = answers.filter((a) => a?.status === 200);
            if (oks.length > 0) lastSigned = level;
            if (killed) signedAfterKill += oks.length > 0 ? 1 : 0;
            expect(answers.every((a) => a === undefined || a.status === 200 || a.status === 409)).toBe(true);
          }
        })().catch((e: unknown) => {
          failure = e;
        });
        await until(() => failure !== undefined || lastSigned >= 15);
        const victim = set.replicas[0]!;
        await set.kill9(0);
        killed = true;
        expect(victim.proc.child.signalCode).toBe('SIGKILL');
        await until(() => failure !== undefined || signedAfterKill >= 15); // the two others keep signing
        stopped = true;
        await stream;
        if (failure !== undefined) throw failure;

        const restarted = await set.restart(0);
        // the shared marks hold: nothing at or below the last signed level, whichever replica is asked
        expect((await send(key, 'block', lastSigned, 0, 9, chain, restarted.url))?.status).toBe(409);
        expect((await send(key, 'block', lastSigned - 5, 0, 9, chain, restarted.url))?.status).toBe(409);
        expect((await send(key, 'block', level + 1, 0, 0, chain, restarted.url))?.status).toBe(200);
        expect((await send(key, 'block', level + 1, 0, 1, chain, set.replicas[1]!.url))?.status).toBe(409);
        expect((await send(key, 'block', level + 1, 0, 0, chain, set.replicas[2]!.url))?.status).toBe(200); // identical: replayed
      },
      SLOW,
    );
  });
}
