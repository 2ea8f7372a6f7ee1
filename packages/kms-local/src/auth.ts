import { createHash, createHmac, timingSafeEqual, type Hash, type Hmac } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { SignatureV4 } from '@smithy/signature-v4';
import { KmsError } from './errors';

export interface StaticCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface CallerIdentity {
  accessKeyId: string;
  /** region of the SigV4 credential scope; KMS keys live in it */
  region: string;
}

/** SHA-256 / HMAC-SHA-256 in the shape @smithy/signature-v4 expects (a Checksum constructor). */
type SourceData = string | ArrayBuffer | ArrayBufferView;
const bytes = (d: SourceData): string | Buffer =>
  typeof d === 'string' ? d : ArrayBuffer.isView(d) ? Buffer.from(d.buffer, d.byteOffset, d.byteLength) : Buffer.from(d);

class NodeSha256 {
  private readonly hash: Hash | Hmac;
  constructor(secret?: SourceData) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(data: SourceData): void {
    this.hash.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return this.hash.digest();
  }
}

const SCOPE = /^([^/]+)\/(\d{8})\/([a-z0-9-]+)\/([^/]+)\/aws4_request$/;
const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;
/** AWS rejects requests signed more than 5 minutes away from its clock. */
const MAX_SKEW_MS = 5 * 60 * 1000;

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

function parseAuthorization(value: string): { credential: string; signedHeaders: string; signature: string } {
  if (!value.startsWith('AWS4-HMAC-SHA256 ')) {
    const algorithm = value.split(' ')[0] ?? '';
    throw new KmsError('IncompleteSignatureException', `Unsupported AWS 'algorithm': '${algorithm}'`);
  }
  const parts: Record<string, string> = {};
  for (const piece of value.slice('AWS4-HMAC-SHA256 '.length).split(',')) {
    const eq = piece.indexOf('=');
    if (eq > 0) parts[piece.slice(0, eq).trim()] = piece.slice(eq + 1).trim();
  }
  const missing = ['Credential', 'SignedHeaders', 'Signature'].filter((k) => !parts[k]);
  if (missing.length > 0) {
    throw new KmsError(
      'IncompleteSignatureException',
      `Authorization header requires ${missing.map((m) => `'${m}'`).join(', ')} parameter(s). Authorization header must be 'AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...'`,
    );
  }
  return { credential: parts.Credential!, signedHeaders: parts.SignedHeaders!, signature: parts.Signature! };
}

export interface AuthRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/**
 * Checks the SigV4 Authorization header like AWS does and returns who called from which region. Without
 * `credentials` only the header's shape is checked (any key works); with them the access key must match
 * and the signature is recomputed with @smithy/signature-v4 and compared.
 */
export async function authenticate(req: AuthRequest, credentials: StaticCredentials | undefined, now: number): Promise<CallerIdentity> {
  const authorization = header(req.headers, 'authorization');
  if (authorization === undefined || authorization === '') {
    throw new KmsError('MissingAuthenticationTokenException', 'Missing Authentication Token');
  }
  const auth = parseAuthorization(authorization);
  const scope = SCOPE.exec(auth.credential);
  if (!scope) {
    throw new KmsError(
      'IncompleteSignatureException',
      `Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '${auth.credential.replace(/^[^/]*/, '<access key>')}'`,
    );
  }
  const [, accessKeyId, shortDate, region, service] = scope as unknown as [string, string, string, string, string];
  if (service !== 'kms') {
    throw new KmsError('InvalidSignatureException', `Credential should be scoped to correct service: 'kms'.`);
  }
  const amzDate = header(req.headers, 'x-amz-date');
  const date = amzDate ? AMZ_DATE.exec(amzDate) : null;
  if (!amzDate || !date) {
    throw new KmsError(
      'IncompleteSignatureException',
      "Authorization header requires existence of a valid 'X-Amz-Date' header (yyyyMMdd'T'HHmmss'Z').",
    );
  }
  if (!amzDate.startsWith(shortDate)) {
    throw new KmsError(
      'InvalidSignatureException',
      `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${shortDate}' != '${amzDate.slice(0, 8)}'`,
    );
  }
  const identity = { accessKeyId, region };
  if (!credentials) return identity;

  if (accessKeyId !== credentials.accessKeyId) {
    throw new KmsError('UnrecognizedClientException', 'The security token included in the request is invalid.');
  }
  const signingDate = new Date(Date.UTC(+date[1]!, +date[2]! - 1, +date[3]!, +date[4]!, +date[5]!, +date[6]!));
  if (Math.abs(now - signingDate.getTime()) > MAX_SKEW_MS) {
    throw new KmsError(
      'InvalidSignatureException',
      `Signature expired: ${amzDate} is more than 5 minutes away from the server time ${new Date(now).toISOString()}`,
    );
  }
  const signed = new Set(auth.signedHeaders.split(';'));
  const headers: Record<string, string> = {};
  for (const name of signed) {
    const v = header(req.headers, name);
    if (v !== undefined) headers[name] = v;
  }
  const declaredHash = headers['x-amz-content-sha256'];
  if (declaredHash !== undefined && declaredHash !== createHash('sha256').update(req.body).digest('hex')) {
    throw new KmsError('InvalidSignatureException', 'The provided x-amz-content-sha256 header does not match what was computed.');
  }
  const url = new URL(req.path, 'http://localhost');
  const query: Record<string, string> = {};
  url.searchParams.forEach((v, k) => (query[k] = v));
  const signer = new SignatureV4({
    credentials,
    region,
    service: 'kms',
    sha256: NodeSha256,
    applyChecksum: false,
  });
  const expected = await signer.sign(
    {
      method: req.method,
      protocol: 'http:',
      hostname: headers.host ?? 'localhost',
      path: url.pathname,
      query,
      headers,
      body: req.body,
    },
    { signingDate, signableHeaders: signed, signingRegion: region },
  );
  const expectedSignature = /Signature=([0-9a-f]+)/.exec(String(expected.headers.authorization))?.[1] ?? '';
  const a = Buffer.from(expectedSignature);
  const b = Buffer.from(auth.signature);
  if (a.length !== b.length || !timingSafeEqual(a, b)) {
    throw new KmsError(
      'InvalidSignatureException',
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.',
    );
  }
  return identity;
}
