import { FileSpendLedger } from '@signatory-ts/spend-ledger';
import { transfer } from './payloads';
import { startHarness, VAULT_YAML, type Harness } from './harness';

// The request deadline and spend caps in the daemon (app, signer, the file spend ledger, the real AWS SDK
// vault over kms-local): a request answered 500 at its deadline is not counted, so the client's retry is
// counted once.
const W_SK = 'edsk3REH79xaoCkNizrDo8cY4WYwEkrFLTAdjb1pjcP9yQora4qE3Y';
const W = 'tz1WGcYos3hL7GXYXjKrMnSFdkT7FyXnFBvf';
const CAPS = [{ window: '1h', windowSeconds: 3600, amount: 10_000_000n }];
const YAML = `${VAULT_YAML}tezos:
  ${W}:
    allow:
      generic: [transaction]
    limits:
      spend:
        - {window: 1h, amount: 10tz}
`;

let h: Harness;
afterEach(() => h?.close());

it('a generic request answered 500 at the request deadline while KMS still signs is not counted; the retry is counted once', async () => {
  // KMS answers within its own deadline (20 s) but after the request's (4 s, ample for the retry on a loaded machine):
  // kms-local holds the Sign until the request has been answered
  h = await startHarness({ yaml: YAML, keys: [{ secret: W_SK }], requestDeadlineMs: 4000, kmsDeadlineMs: 20_000 });
  const ledger = new FileSpendLedger({ baseDir: h.baseDir });
  const body = JSON.stringify(await transfer(W, 4_999_000n)); // 5 tz, fee included
  h.kms.faults.hold({ operations: ['Sign'] });
  const late = await h.post(W, body);
  expect(late.status).toBe(500);
  expect(h.kms.faults.release()).toBe(1); // KMS answers now, after the 500
  // the request ends in the signer too, its reservation given back (a ledger read), not confirmed when KMS answers
  const counted = async () => (await ledger.show(W, CAPS, Date.now()))[0]!.spent;
  while (h.deps.signer.inFlight > 0 || (await counted()) !== 0n) await new Promise((r) => setTimeout(r, 10));
  h.kms.faults.set({ hold: null });
  const retry = await h.post(W, body);
  expect(retry.status).toBe(200);
  expect((await ledger.show(W, CAPS, Date.now()))[0]).toMatchObject({ spent: 5_000_000n, reserved: 0n });
});
