import {
  B58,
  CURRENT_PROTOCOL,
  fromHex,
  parseSignRequest,
  policyKind,
  SignatoryError,
  PKH_PREFIXES,
  PROTOCOLS,
  type Protocol,
  type SignRequest,
  type SignerKeyType,
} from '@signatory-ts/core';

export interface DecodeOptions {
  /** Print JSON instead of text. */
  json?: boolean;
  /** Type of the key that would sign: refuses consensus tags that key type never sends. */
  keyType?: string;
  /** Protocol tables for generic operations (default CURRENT_PROTOCOL). */
  protocol?: string;
}

export interface DecodeIo {
  stdin: NodeJS.ReadableStream;
  stdout: { write(s: string): unknown };
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/** Accepts bare hex, 0x-prefixed hex, or the JSON string body Octez clients POST ("03…"). */
function requestBytes(text: string): Uint8Array {
  let t = text.trim();
  if (t.startsWith('"') && t.endsWith('"') && t.length >= 2) t = t.slice(1, -1);
  if (t.startsWith('0x')) t = t.slice(2);
  if (t.length === 0) throw new SignatoryError('bad_request', 'no request given: pass the hex bytes as an argument or on stdin');
  try {
    return fromHex(t);
  } catch (e) {
    throw new SignatoryError('bad_request', `request is not hex: ${(e as Error).message}`);
  }
}

/** Kinds a policy checks: the request kind, and for generic requests each operation's kind. */
function policyKinds(req: SignRequest): string[] {
  return req.kind === 'generic' ? req.operations.map(policyKind) : [req.kind];
}

function value(v: unknown): string {
  return typeof v === 'object' && v !== null && !(v instanceof B58) ? JSON.stringify(v) : String(v);
}

function lines(obj: Record<string, unknown>, indent: string, skip: readonly string[]): string[] {
  const keys = Object.keys(obj).filter((k) => !skip.includes(k));
  const w = Math.max(0, ...keys.map((k) => k.length)) + 1;
  return keys.map((k) => `${indent}${(k + ':').padEnd(w)} ${value(obj[k])}`);
}

/** Text form: one field a line; operations numbered with their policy kind. */
export function formatRequest(req: SignRequest): string {
  const magic = `0x${req.magic.toString(16).padStart(2, '0')}`;
  const out: string[] = [];
  if (req.kind === 'generic') {
    out.push(`request: generic (${magic}), ${req.operations.length} operation${req.operations.length === 1 ? '' : 's'}`);
    out.push(`branch:  ${req.branch}`);
    req.operations.forEach((op, i) => {
      const pk = policyKind(op);
      out.push(`operation ${i + 1}: ${op.kind}${pk !== op.kind ? ` (policy kind ${pk})` : ''}`);
      out.push(...lines(op as Record<string, unknown>, '  ', ['kind']));
    });
  } else {
    out.push(`request: ${req.kind} (${magic})`);
    out.push(...lines(req as unknown as Record<string, unknown>, '', ['kind', 'magic']));
  }
  return out.join('\n') + '\n';
}

/**
 * `signatory-cli decode [hex]`: decodes a sign request (hex argument, or stdin when absent) and
 * prints it. Malformed input throws SignatoryError('bad_request'), which main.ts turns into a
 * message and a non-zero exit code.
 */
export async function decode(
  hex: string | undefined,
  options: DecodeOptions = {},
  io: DecodeIo = { stdin: process.stdin, stdout: process.stdout },
): Promise<void> {
  const keyType = options.keyType;
  if (keyType !== undefined && !(PKH_PREFIXES as readonly string[]).includes(keyType)) {
    throw new SignatoryError('bad_request', `--key-type must be one of ${PKH_PREFIXES.join(', ')}, got ${JSON.stringify(keyType)}`);
  }
  const protocol = options.protocol ?? CURRENT_PROTOCOL;
  if (!(PROTOCOLS as readonly string[]).includes(protocol)) {
    throw new SignatoryError('bad_request', `--protocol must be one of ${PROTOCOLS.join(', ')}, got ${JSON.stringify(protocol)}`);
  }
  const bytes = requestBytes(hex ?? (await readAll(io.stdin)));
  const req = parseSignRequest(bytes, keyType as SignerKeyType | undefined, { protocol: protocol as Protocol });
  if (options.json) {
    io.stdout.write(JSON.stringify({ ...req, policyKinds: policyKinds(req) }, null, 2) + '\n');
  } else {
    io.stdout.write(formatRequest(req));
  }
}
