import express, { type NextFunction, type Request, type Response } from 'express';
import { b58Decode, fromHex, PKH_PREFIXES, SignatoryError } from '@signatory-ts/core';
import { parseSigningVersion, withDeadline, type Signer, type SignerLogger } from '@signatory-ts/signer';
import { AuthFailureLimit, clientKey } from './auth-failures';
import { errorBody, HttpError, jsonBody, toHttpFailure } from './http-errors';
import { ACCESS_DENIED, JwtRefusal, type JwtAuth } from './jwt';
import type { Metrics } from './metrics';

export interface AppDeps {
  readonly signer: Signer;
  readonly metrics: Metrics;
  readonly logger: SignerLogger;
  /** Largest accepted request body, bytes (default 64 KiB; a 0x03 batch of 150 transactions is ~17 KiB of hex). */
  readonly bodyLimit?: number;
  /** A sign request that has not finished after this many ms gets 500 (default 10 000). */
  readonly requestDeadlineMs?: number;
  /** Signatures matching no authorized key one client address (wrong /login passwords: one address or IPv6 /64) may send per minute before it gets 429 (default 20; 0: no limit). */
  readonly maxAuthFailures?: number;
  /** `server.jwt`: POST /login, and a token on every route of this listener. */
  readonly jwt?: JwtAuth;
}

const JSON_TYPE = 'application/json; charset=utf-8';

/** Go's net/http text 404 for paths no route matches. */
function notFound(_req: Request, res: Response): void {
  res.status(404).type('text/plain; charset=utf-8').send('404 page not found\n');
}

/** gorilla/mux: a known path with a method it does not serve is 405 with an empty body. */
function methodNotAllowed(_req: Request, res: Response): void {
  res.status(405).end();
}

function sendJson(res: Response, status: number, value: unknown): void {
  res.status(status).type(JSON_TYPE).send(jsonBody(value));
}

function sendError(res: Response, status: number, message: string): void {
  res.status(status).type(JSON_TYPE).send(errorBody(message));
}

/** Go's JWT answers: a bare text body, the type net/http sniffs for it. */
function sendText(res: Response, status: number, text: string): void {
  res.status(status).type('text/plain; charset=utf-8').send(text);
}

/** A string query parameter (the first one if repeated). */
function queryParam(req: Request, name: string): string | undefined {
  const v = req.query[name];
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && typeof v[0] === 'string') return v[0];
  return undefined;
}

/** The JWT user the guard put on the response, as signer input. */
function jwtUserOf(res: Response): { jwtUser?: string } {
  const u: unknown = res.locals.jwtUser;
  return typeof u === 'string' ? { jwtUser: u } : {};
}

/** The body of POST /keys: a JSON string of hex, as octez-client and Taquito send it. */
export function parseSignBody(raw: Buffer | undefined): Uint8Array {
  const text = raw === undefined ? '' : raw.toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new SignatoryError('bad_request', `request body is not JSON (${(e as Error).message}); send a JSON string of hex, e.g. "03ab…"`);
  }
  if (typeof value !== 'string') {
    throw new SignatoryError(
      'bad_request',
      `request body must be a JSON string of hex, got ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}`,
    );
  }
  if (value.length === 0) throw new SignatoryError('bad_request', 'request body is an empty string: nothing to sign');
  try {
    return fromHex(value);
  } catch (e) {
    throw new SignatoryError('bad_request', `request body is not hex (${(e as Error).message})`);
  }
}

/**
 * The signing listener: POST/GET /keys/:pkh and GET /authorized_keys, Go Signatory's status codes
 * and bodies. No listen here: main.ts (or a test) binds it.
 */
export function createApp(deps: AppDeps): express.Express {
  const { signer, metrics, logger } = deps;
  const deadline = deps.requestDeadlineMs ?? 10_000;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');
  // gorilla/mux matches paths exactly: /KEYS/… and /keys/…/ are 404 there, so here too
  app.set('case sensitive routing', true);
  app.set('strict routing', true);

  // access log (Signatory's "<METHOD> <path>" line)
  app.use((req, res, next) => {
    if (logger.isLevelEnabled?.('info') === false) return next();
    const start = new Date();
    const t0 = performance.now();
    res.on('finish', () => {
      logger.info(`${req.method} ${req.path}`, {
        start_time: start.toISOString(),
        duration: `${(performance.now() - t0).toFixed(3)}ms`,
        status: res.statusCode,
        hostname: req.headers.host ?? '',
        method: req.method,
        path: req.path,
      });
    });
    next();
  });

  /** A pkh from the URL: a Map hit for keys we know, base58 only for strangers (to give the 400). */
  const checkPkh = (pkh: string): void => {
    if (signer.isActive(pkh)) return;
    try {
      b58Decode(pkh, PKH_PREFIXES);
    } catch (e) {
      throw new SignatoryError('bad_request', `invalid key hash in URL: ${(e as Error).message}`);
    }
  };

  const maxAuthFailures = deps.maxAuthFailures ?? 20;
  // request signatures per address, IPv6 too: this 429 stops signing, and a neighbour in a shared /64
  // must not be able to stop a baker's attestations
  const signatureKey = (address: string) => clientKey(address, true);
  const authFailures = maxAuthFailures > 0 ? new AuthFailureLimit(maxAuthFailures, 60_000, signatureKey) : undefined;
  // wrong passwords at POST /login, counted apart and per IPv6 /64: a password guesser is held back,
  // a baker's signatures are not (a token already held keeps signing)
  const loginFailures = maxAuthFailures > 0 ? new AuthFailureLimit(maxAuthFailures, 60_000) : undefined;

  const rawBody = express.raw({ type: () => true, limit: deps.bodyLimit ?? 64 * 1024 });

  // JWT (Go Signatory's middleware): matched routes only, so an unknown path or method is 404/405 without a token
  const { jwt } = deps;
  const guard = (req: Request, res: Response, next: NextFunction): void => {
    if (jwt === undefined) return next();
    try {
      res.locals.jwtUser = jwt.authenticate(req.get('authorization'), req.get('username'));
      next();
    } catch (e) {
      if (!(e instanceof JwtRefusal)) return next(e);
      metrics.authenticationFailures.inc({
        status: '401',
        auth_method: 'jwt',
        client_ip: metrics.clientIpLabel(req.socket.remoteAddress ?? ''),
      });
      sendText(res, e.status, e.message);
    }
  };
  if (jwt !== undefined) {
    app
      .route('/login')
      .post((req, res) => {
        const client = req.socket.remoteAddress ?? '';
        const wait = loginFailures?.retryAfter(client) ?? 0;
        if (wait > 0) {
          // before the password is compared: a guess in this window is not even tried
          metrics.authenticationFailures.inc({ status: '429', auth_method: 'jwt_login', client_ip: metrics.clientIpLabel(client) });
          res.setHeader('retry-after', String(Math.ceil(wait / 1000)));
          return sendText(
            res,
            429,
            `too many failed logins from ${clientKey(client)} (${maxAuthFailures} a minute); retry in ${Math.ceil(wait / 1000)} s`,
          );
        }
        try {
          sendText(res, 201, jwt.login(req.get('username'), req.get('password')));
        } catch (e) {
          if (!(e instanceof JwtRefusal)) throw e;
          // a user name and password that matched no user: a guess (missing headers cost nothing)
          if (e.message === ACCESS_DENIED) loginFailures?.fail(client);
          metrics.authenticationFailures.inc({ status: '401', auth_method: 'jwt_login', client_ip: metrics.clientIpLabel(client) });
          sendText(res, e.status, e.message);
        }
      })
      .all(methodNotAllowed);
  }

  app
    .route('/keys/:pkh')
    .post(guard, rawBody, async (req, res) => {
      const pkh = req.params.pkh as string;
      const t0 = performance.now();
      let address = 'unknown';
      let status = 200;
      try {
        checkPkh(pkh);
        address = pkh;
        const version = parseSigningVersion(queryParam(req, 'version'));
        const bytes = parseSignBody(req.body as Buffer | undefined);
        let clientPkh: string | undefined;
        const client = req.socket.remoteAddress ?? '';
        try {
          const wait = signer.authorizedKeys === undefined ? 0 : (authFailures?.retryAfter(client) ?? 0);
          if (wait > 0) {
            res.setHeader('retry-after', String(Math.ceil(wait / 1000)));
            throw new HttpError(
              429,
              `too many failed authentications from ${signatureKey(client)} (${maxAuthFailures} a minute); retry in ${Math.ceil(wait / 1000)} s`,
            );
          }
          clientPkh = signer.authenticate(pkh, bytes, queryParam(req, 'authentication'));
        } catch (e) {
          const f = toHttpFailure(e);
          // only a signature that was verified and matched no key counts: a missing or unparseable one costs nothing
          if (f.code === 'forbidden') authFailures?.fail(client);
          metrics.authenticationFailures.inc({
            status: String(f.status),
            auth_method: 'authentication',
            client_ip: metrics.clientIpLabel(client),
          });
          throw e;
        }
        // one absolute deadline: the signer's stages (spend ledger, lane wait, vault call) take their time from it
        const { signature } = await withDeadline(
          signer.sign({
            pkh,
            bytes,
            version,
            source: client,
            deadline: performance.now() + deadline,
            ...(clientPkh !== undefined ? { clientPkh } : {}),
            ...jwtUserOf(res),
          }),
          deadline,
          `request not finished within ${deadline} ms; nothing was released (an identical retry gets the stored signature if it was signed)`,
        );
        sendJson(res, 200, { signature });
      } catch (e) {
        const f = toHttpFailure(e);
        status = f.status;
        if (f.status >= 500) logger.error(f.message, { pkh });
        sendError(res, f.status, f.message);
      } finally {
        const labels = { address, status: String(status) };
        metrics.signHandlerRequests.inc(labels);
        metrics.signHandlerDuration.observe(labels, Math.round(performance.now() - t0));
      }
    })
    .get(guard, async (req, res) => {
      try {
        const pkh = req.params.pkh as string;
        checkPkh(pkh);
        sendJson(res, 200, { public_key: await signer.getPublicKey(pkh) });
      } catch (e) {
        const f = toHttpFailure(e);
        sendError(res, f.status, f.message);
      }
    })
    .all(methodNotAllowed);

  app
    .route('/authorized_keys')
    .get(guard, (_req, res) => {
      const keys = signer.authorizedKeys;
      sendJson(res, 200, keys === undefined ? {} : { authorized_keys: keys });
    })
    .all(methodNotAllowed);

  app.use(notFound);
  // body-parser errors (too large, aborted) and anything a route let through
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const f = toHttpFailure(err);
    if (f.status >= 500) logger.error(f.message, {});
    sendError(res, f.status, f.message);
  });
  return app;
}
