import { ListKeysCommand } from '@aws-sdk/client-kms';
import { start, type Started } from './harness';

// The SDK's agent keeps the connection open between calls and reuses it. When the process is busy for longer than
// the server's keep-alive timeout between two calls (a test verifying with a slow library on a loaded machine, the
// client and kms-local in one process), the server's idle timer and the next request race, and the SDK reported
// "TimeoutError: read ECONNRESET". kms-local keeps idle connections long enough that this cannot happen in a test.
let t: Started;
beforeAll(async () => {
  t = await start();
});
afterAll(async () => {
  await t.stop();
});

/** Blocks this process's event loop (the server's and the client's) for `ms`: the busy process, not a wait. */
const busy = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

it("announces its idle keep-alive timeout (65 s), which the SDK's agent honours", async () => {
  const r = await fetch(`${t.server.url}/`, { method: 'POST' });
  expect(r.headers.get('keep-alive')).toBe('timeout=65');
});

it("serves the next call on a kept-alive connection after the process was busy past Node's default 5 s keep-alive", async () => {
  await t.kms.send(new ListKeysCommand({}));
  busy(6000);
  const out = await t.kms.send(new ListKeysCommand({}));
  expect(out.Keys).toEqual([]);
});
