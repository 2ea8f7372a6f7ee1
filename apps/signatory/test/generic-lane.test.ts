import { consensus, TRANSACTION } from './payloads';
import { failure, startHarness, VAULT_YAML, type Harness } from './harness';
import { W, W_SK } from './keys';

// tz1WGcYos3hL7GXYXjKrMnSFdkT7FyXnFBvf (Go Signatory's watermark test key): its transactions are TRANSACTION's source

let h: Harness;

beforeAll(async () => {
  h = await startHarness({
    yaml: `${VAULT_YAML}\ntezos:\n  ${W}:\n    allow: {attestation: , generic: [transaction]}\n`,
    keys: [{ secret: W_SK }],
    // the first generic request's KMS Sign is held in kms-local until the test releases it: the KMS deadline, the lane's
    // wait and the request deadline leave room for it
    kmsDeadlineMs: 60_000,
    requestDeadlineMs: 60_000,
    genericLane: { concurrency: 1, maxQueued: 1, maxWaitMs: 60_000 },
  });
});
afterAll(() => h.close());

const until = async (check: () => boolean) => {
  while (!check()) await new Promise((r) => setTimeout(r, 10));
};

describe('generic lane over HTTP', () => {
  it('a full generic queue answers 503 busy with nothing signed, the gauge shows the lane, and an attestation is signed meanwhile', async () => {
    // kms-local holds the first Sign (the first generic request's) until released, so the lane stays full meanwhile
    // however loaded the machine
    h.kms.faults.hold({ count: 1, operations: ['Sign'] });
    try {
      const order: string[] = [];
      const generics = [1, 2].map((i) => h.post(W, `"${TRANSACTION}"`).then((r) => order.push(`generic ${i} ${r.status}`)));
      await until(() => h.deps.signer.genericLane.queued === 1);
      await h.kms.faults.waitHeld(1);
      const gauge = await h.deps.metrics.registry.getSingleMetricAsString('generic_sign_lane_requests');
      expect(gauge).toContain('generic_sign_lane_requests{state="running"} 1');
      expect(gauge).toContain('generic_sign_lane_requests{state="queued"} 1');

      const busy = await h.post(W, `"${TRANSACTION}"`);
      expect(busy.status).toBe(503);
      expect(busy.text).toBe(
        failure('signer busy: 1 generic requests are being signed and 1 are waiting; retry later (consensus requests are not affected)'),
      );

      const att = await h.post(W, JSON.stringify(consensus('attestation', 5, 0)));
      expect(att.status).toBe(200);
      order.push('attestation 200');
      // signed while the generic lane was still full
      expect([h.deps.signer.genericLane.inFlight, h.deps.signer.genericLane.queued]).toEqual([1, 1]);
      expect(h.kms.faults.release()).toBe(1);
      await Promise.all(generics);
      expect(order.indexOf('attestation 200')).toBeLessThan(order.indexOf('generic 2 200'));
      const ops = await h.deps.metrics.registry.getSingleMetricAsString('signing_ops_total');
      expect(ops).toMatch(/signing_ops_total\{[^}]*op="generic"[^}]*\} 2$/m); // the refused request was never signed
    } finally {
      h.kms.faults.clear();
    }
  });
});
