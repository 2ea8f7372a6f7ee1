import type { ConfigIssue, YamlPath } from './config-error';
import { DEFAULT_JWT_EXP_MINUTES, DEFAULT_SERVER_ADDRESS, DEFAULT_UTILITY_ADDRESS } from './defaults';
import { listenAddressProblem } from './listen-address';
import { flattenKeys } from './public-keys';
import type { JwtConfig, JwtCredentials, JwtUser, ServerConfig, TlsConfig } from './types';

interface RawCredentials {
  password: string;
  secret: string;
  jwt_exp?: number;
}
interface RawUser extends RawCredentials {
  old_cred_exp?: string;
  new_data?: RawCredentials;
}
export interface RawServer {
  address?: string;
  utility_address?: string;
  authorized_keys?: unknown;
  jwt?: { users: Record<string, RawUser> };
  tls?: RawTls;
  utility_tls?: RawTls;
}
interface RawTls {
  cert_file: string;
  key_file: string;
  key_passphrase?: string;
  client_ca_file?: string;
  min_version?: 'TLSv1.2' | 'TLSv1.3';
}

function buildTls(t: RawTls): TlsConfig {
  return {
    certFile: t.cert_file,
    keyFile: t.key_file,
    ...(t.key_passphrase !== undefined ? { keyPassphrase: t.key_passphrase } : {}),
    ...(t.client_ca_file !== undefined ? { clientCaFile: t.client_ca_file } : {}),
    minVersion: t.min_version ?? 'TLSv1.2',
  };
}

/** `server`, with loopback defaults (see defaults.ts) and Go Signatory's start-up JWT checks. */
export function buildServer(raw: RawServer | null | undefined, errors: ConfigIssue[]): ServerConfig {
  const s = raw ?? {};
  const path = ['server'];
  const address = s.address ?? DEFAULT_SERVER_ADDRESS;
  const utilityAddress = s.utility_address ?? DEFAULT_UTILITY_ADDRESS;
  for (const [key, value] of [
    ['address', address],
    ['utility_address', utilityAddress],
  ] as const) {
    const problem = listenAddressProblem(value);
    if (problem) errors.push({ path: [...path, key], message: problem });
  }
  const authorizedKeys = s.authorized_keys === undefined ? undefined : flattenKeys(s.authorized_keys, [...path, 'authorized_keys'], errors);
  let jwt: JwtConfig | undefined;
  if (s.jwt !== undefined) {
    if (authorizedKeys !== undefined) {
      errors.push({
        path,
        message: 'jwt and authorized_keys cannot be used together (Go Signatory refuses this too): keep one of them',
      });
    }
    const users = new Map<string, JwtUser>();
    for (const [name, u] of Object.entries(s.jwt.users)) {
      const at = [...path, 'jwt', 'users', name];
      users.set(name, buildUser(u, at, errors));
    }
    jwt = { users };
  }
  return {
    address,
    utilityAddress,
    ...(authorizedKeys !== undefined ? { authorizedKeys } : {}),
    ...(jwt !== undefined ? { jwt } : {}),
    ...(s.tls !== undefined ? { tls: buildTls(s.tls) } : {}),
    ...(s.utility_tls !== undefined ? { utilityTls: buildTls(s.utility_tls) } : {}),
  };
}

function buildUser(u: RawUser, at: YamlPath, errors: ConfigIssue[]): JwtUser {
  const current = credentials(u, at, errors);
  let oldCredExp: Date | undefined;
  if (u.old_cred_exp !== undefined) {
    const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(u.old_cred_exp);
    const d = m === null ? undefined : new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`);
    // V8 rolls impossible dates over (Feb 30 -> Mar 1, 24:00 -> next day); Go refuses them, so does this
    if (d === undefined || Number.isNaN(d.getTime()) || d.toISOString().slice(0, 19).replace('T', ' ') !== u.old_cred_exp) {
      errors.push({ path: [...at, 'old_cred_exp'], message: 'expected a UTC time "YYYY-MM-DD hh:mm:ss"' });
    } else oldCredExp = d;
  }
  let newData: JwtCredentials | undefined;
  if (u.new_data !== undefined) {
    newData = credentials(u.new_data, [...at, 'new_data'], errors);
    if (newData.password === current.password) {
      errors.push({ path: [...at, 'new_data', 'password'], message: 'must differ from the current password' });
    }
    if (newData.secret === current.secret) {
      errors.push({ path: [...at, 'new_data', 'secret'], message: 'must differ from the current secret' });
    }
  } else if (oldCredExp !== undefined) {
    errors.push({ path: [...at, 'old_cred_exp'], message: 'has no effect without new_data' });
  }
  return { ...current, ...(oldCredExp ? { oldCredExp } : {}), ...(newData ? { newData } : {}) };
}

/** Go Signatory's rules: password ≥ 16 and secret ≥ 32 characters, each with upper, lower, digit and special. */
function credentials(c: RawCredentials, at: YamlPath, errors: ConfigIssue[]): JwtCredentials {
  for (const [key, min] of [
    ['password', 16],
    ['secret', 32],
  ] as const) {
    const problem = strengthProblem(c[key], min);
    if (problem) errors.push({ path: [...at, key], message: problem });
  }
  // Go: jwt_exp absent or 0 -> 60
  return { password: c.password, secret: c.secret, expMinutes: c.jwt_exp || DEFAULT_JWT_EXP_MINUTES };
}

/**
 * Describes what a weak credential lacks without showing it. Go's rules exactly: the length in
 * UTF-8 bytes (Go's len; "characters" in the text, as Go says), ASCII classes, and "special" = printable ASCII that is not alphanumeric (space too).
 */
function strengthProblem(v: string, min: number): string | undefined {
  const missing = [
    Buffer.byteLength(v, 'utf8') < min ? `at least ${min} characters` : '',
    /[A-Z]/.test(v) ? '' : 'an upper-case letter',
    /[a-z]/.test(v) ? '' : 'a lower-case letter',
    /[0-9]/.test(v) ? '' : 'a digit',
    /[ -/:-@[-`{-~]/.test(v) ? '' : 'a special character',
  ].filter(Boolean);
  return missing.length === 0 ? undefined : `is too weak: needs ${missing.join(', ')}`;
}
