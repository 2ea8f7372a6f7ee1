import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startDynalite, type DynaliteServer } from '@signatory-ts/dev-servers';
import { blake2b256, watermarkSlot } from '@signatory-ts/core';
import { DynamoWatermarkStore } from '../src';

// An attestation slot is two items (attestation, attestation_with_dal), written in that order by a commit and read side
// by side by get(). DynamoDB may answer the two reads at different moments: the first item read before a commit on
// another instance wrote it, the second after. Found by apps/signatory's e2e-replicas suites under load: an identical request
// was then refused (409) instead of getting the stored signature.

/**
 * A loopback proxy to dynalite that holds the GetItem of the attestation_with_dal item until release() (the answer of
 * a read that DynamoDB serves late); everything else goes through. `answered` counts the reads it forwarded and that
 * were answered.
 */
interface HoldingProxy {
  readonly endpoint: string;
  readonly held: (() => void)[];
  answered: number;
  stop(): Promise<void>;
}

async function startHoldingProxy(target: string): Promise<HoldingProxy> {
  const to = new URL(target);
  let server: Server | undefined = undefined;
  const proxy: HoldingProxy = {
    endpoint: '',
    held: [],
    answered: 0,
    stop: () => new Promise<void>((resolve) => server!.close(() => resolve())),
  };
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const operation = String(req.headers['x-amz-target'] ?? '').split('.')[1];
      const forward = () => {
        const fwd = request({ host: to.hostname, port: to.port, method: req.method, path: req.url, headers: req.headers }, (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
          up.on('end', () => {
            if (operation === 'GetItem') proxy.answered++;
          });
        });
        fwd.on('error', () => res.destroy());
        fwd.end(body);
      };
      if (operation === 'GetItem' && body.toString().includes('"attestation_with_dal"')) proxy.held.push(forward);
      else forward();
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return Object.assign(proxy, { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
}

/** Polls `cond` until it holds (jest's timeout bounds the wait). */
async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setTimeout(r, 10));
}

let dynalite: DynaliteServer;
let proxy: HoldingProxy;

beforeAll(async () => {
  dynalite = await startDynalite();
  proxy = await startHoldingProxy(dynalite.endpoint);
});
afterAll(async () => {
  await proxy?.stop();
  await dynalite?.stop();
});

it('get() while another instance commits an attestation: a second item read after the commit and a first read before it give the committed signature, not a mark without one', async () => {
  const config = dynalite.storeConfig('read-race');
  const committer = await DynamoWatermarkStore.open(config);
  const reader = await DynamoWatermarkStore.open({ ...config, endpoint: proxy.endpoint });
  try {
    const slot = watermarkSlot('NetXdQprcVkpaWU', 'tz1aKTCPZHZRzNBrucPp8WTiAMzaYh84NZkC', 'attestation');
    const mark = { level: 90, round: 0, digest: blake2b256(new TextEncoder().encode('the attestation')), signature: 'sig-a' };
    const reading = reader.get(slot);
    // the attestation item is read (nothing there yet); the attestation_with_dal read is held
    await until(() => proxy.answered === 1 && proxy.held.length === 1);
    expect(await committer.commit(slot, mark)).toEqual({ status: 'committed' });
    proxy.held.shift()!();
    // both items hold the commit now: an identical request must get its signature (a mark without one is refused)
    expect(await reading).toEqual({ level: 90, round: 0, digest: mark.digest, signature: 'sig-a' });
  } finally {
    await reader.close();
    await committer.close();
  }
});
