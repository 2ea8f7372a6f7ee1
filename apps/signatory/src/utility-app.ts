import express, { type Request, type Response } from 'express';
import type { Registry } from 'prom-client';
import type { Vault } from '@signatory-ts/core';
import type { WatermarkStore } from '@signatory-ts/watermark';

export interface UtilityDeps {
  readonly registry: Registry;
  readonly vaults: readonly Vault[];
  /** Its health() (when it has one) is part of /healthz: a signer that cannot store a watermark cannot sign. */
  readonly store?: Pick<WatermarkStore, 'health'>;
  /** True once shutdown has begun: /healthz then answers 503 so a load balancer drains us. */
  readonly shuttingDown: () => boolean;
  /** How long a vault has to answer the readiness check, ms (default 2000). */
  readonly readyTimeoutMs?: number;
}

/**
 * Whether every vault that can tell answers now. A vault without ready() counts as ready (Go
 * Signatory treats AWS KMS so); one that rejects or does not answer in time is not ready.
 */
export async function vaultsReady(vaults: readonly Vault[], timeoutMs: number): Promise<boolean> {
  const checks = vaults.map(async (v) => {
    if (v.ready === undefined) return true;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    try {
      return await Promise.race([v.ready().then(() => true), late]);
    } catch {
      return false;
    } finally {
      clearTimeout(timer);
    }
  });
  return (await Promise.all(checks)).every(Boolean);
}

/** The utility listener: GET /metrics (Prometheus text) and GET /healthz (vaults and watermark store). */
export function createUtilityApp(deps: UtilityDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  const json = (res: Response, status: number, v: unknown) =>
    res
      .status(status)
      .type('application/json; charset=utf-8')
      .send(JSON.stringify(v) + '\n');

  app.get('/metrics', async (_req: Request, res: Response) => {
    try {
      const body = await deps.registry.metrics();
      res.status(200).type(deps.registry.contentType).send(body);
    } catch (e) {
      json(res, 500, { error: (e as Error).message });
    }
  });
  app.get('/healthz', async (_req: Request, res: Response) => {
    if (deps.shuttingDown()) return json(res, 503, { ready: false });
    const [vaults, store] = await Promise.all([
      vaultsReady(deps.vaults, deps.readyTimeoutMs ?? 2000),
      deps.store?.health?.().catch((e: unknown) => (e as Error).message),
    ]);
    const ready = vaults && store === undefined && !deps.shuttingDown();
    json(res, ready ? 200 : 503, { ready, ...(store === undefined ? {} : { watermark_store: store }) });
  });
  app.use((_req: Request, res: Response) => {
    res.status(404).type('text/plain; charset=utf-8').send('404 page not found\n');
  });
  return app;
}
