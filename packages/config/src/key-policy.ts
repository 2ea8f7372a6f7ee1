import { BALLOT_VOTES, KIND_ALIASES, OPERATION_KINDS, PSEUDO_OPERATION_KINDS, REQUEST_KINDS, type RequestKind } from '@signatory-ts/core';
import type { ConfigIssue, YamlPath } from './config-error';
import { didYouMean } from './suggest';
import { chainIdProblem, publicKeyProblem } from './tezos-identifiers';
import { flattenKeys } from './public-keys';
import { buildKeyLimits, type RawKeyLimits } from './key-limits';
import type { KeyPolicyConfig } from './types';

/** Everything `allow.generic` may name (before any `:vote`). */
export const GENERIC_KINDS: readonly string[] = [...OPERATION_KINDS, ...PSEUDO_OPERATION_KINDS].sort();

/** The schema-checked YAML mapping under `tezos.<pkh>`. */
export interface RawKeyPolicy {
  allow?: Record<string, string[] | null> | null;
  allowed_operations?: string[];
  allowed_kinds?: string[];
  allowed_chains?: string[];
  allow_proof_of_possession?: boolean;
  log_payloads?: boolean;
  authorized_keys?: unknown;
  jwt_users?: string[];
  limits?: RawKeyLimits;
}

export interface PolicyContext {
  /** False when server has schema errors: checks against server settings are skipped. */
  readonly crossChecks: boolean;
  readonly errors: ConfigIssue[];
  readonly warnings: ConfigIssue[];
  /** Server-level authorized keys, undefined when absent. */
  readonly serverKeys?: readonly string[];
  /** Names under server.jwt.users, undefined when jwt is off. */
  readonly jwtUsers?: ReadonlySet<string>;
}

/**
 * Turns one `tezos.<pkh>` value into a KeyPolicyConfig, the way Go Signatory's PreparePolicy
 * does (aliases rewritten first, then names checked; lists sorted), plus checks it skips.
 * `null` stays `null`: the default policy. Deprecated spellings are accepted with one warning per
 * key that shows the `allow:` YAML to write instead.
 */
export function buildKeyPolicy(pkh: string, raw: RawKeyPolicy | null, path: YamlPath, ctx: PolicyContext): KeyPolicyConfig | null {
  if (raw === null) return null;
  const deprecated: string[] = [];
  const requests = new Set<RequestKind>();
  const operations = new Set<string>();

  const addRequest = (name: string, at: YamlPath) => {
    const kind = rewrite(name, deprecated);
    if ((REQUEST_KINDS as readonly string[]).includes(kind)) requests.add(kind as RequestKind);
    else ctx.errors.push({ path: at, message: unknownRequestKind(kind, name) });
  };
  const addOperation = (name: string, at: YamlPath) => {
    const kind = checkOperationKind(name, deprecated);
    if (kind.ok) operations.add(kind.value);
    else ctx.errors.push({ path: at, message: kind.message });
  };

  const legacy = raw.allowed_operations !== undefined || raw.allowed_kinds !== undefined;
  if (raw.allow !== undefined && legacy) {
    ctx.errors.push({
      path,
      message:
        'has both allow and the deprecated allowed_operations/allowed_kinds; Go Signatory silently ignores the deprecated keys when allow is present — keep only allow',
    });
  }
  if (raw.allow !== undefined && raw.allow !== null) {
    for (const [name, value] of Object.entries(raw.allow)) {
      const at = [...path, 'allow', name];
      addRequest(name, at);
      if (rewrite(name, []) === 'generic') {
        (value ?? []).forEach((op, i) => addOperation(op, [...at, i]));
      } else if (value !== null && value.length > 0) {
        ctx.errors.push({ path: at, message: `takes no list (only allow.generic lists operation kinds); write "${name}:" with no value` });
      }
    }
  } else if (legacy) {
    deprecated.push(
      ...(raw.allowed_operations !== undefined ? ['allowed_operations'] : []),
      ...(raw.allowed_kinds !== undefined ? ['allowed_kinds'] : []),
    );
    raw.allowed_operations?.forEach((k, i) => addRequest(k, [...path, 'allowed_operations', i]));
    raw.allowed_kinds?.forEach((k, i) => addOperation(k, [...path, 'allowed_kinds', i]));
    if (raw.allowed_kinds !== undefined && raw.allowed_kinds.length > 0 && !requests.has('generic')) {
      ctx.warnings.push({
        path: [...path, 'allowed_kinds'],
        message: 'has no effect: allowed_operations does not include generic, so no generic request is signed',
      });
    }
  } else {
    ctx.warnings.push({
      path,
      message: `has a policy mapping but no allow: entries, so this key signs nothing (list it as "${pkh}:" with no value for the default block, preattestation, attestation policy)`,
    });
  }

  const allowedRequests = [...requests].sort();
  const allowedOperations = [...operations].sort();
  if (deprecated.length > 0) {
    ctx.warnings.push({
      path,
      message: `uses deprecated ${[...new Set(deprecated)].join(', ')}; write instead:\n${allowYaml(allowedRequests, allowedOperations, raw.allowed_kinds !== undefined)}`,
    });
  }

  const allowedChains = raw.allowed_chains;
  allowedChains?.forEach((c, i) => {
    const problem = chainIdProblem(c);
    if (problem) ctx.errors.push({ path: [...path, 'allowed_chains', i], message: problem });
  });

  let authorizedKeys: string[] | undefined;
  if (raw.authorized_keys !== undefined) {
    authorizedKeys = flattenKeys(raw.authorized_keys, [...path, 'authorized_keys'], ctx.errors);
    if (!ctx.crossChecks) {
      // server is broken; its own errors are reported
    } else if (ctx.serverKeys === undefined) {
      ctx.errors.push({
        path: [...path, 'authorized_keys'],
        message:
          'needs server.authorized_keys: requests are only authenticated when the server has authorized keys, so every request for this key would be refused',
      });
    } else {
      for (const k of authorizedKeys) {
        if (!ctx.serverKeys.includes(k) && publicKeyProblem(k) === undefined) {
          ctx.warnings.push({
            path: [...path, 'authorized_keys'],
            message: `${k} is not in server.authorized_keys, so it can never authenticate (a client key must be in both lists)`,
          });
        }
      }
    }
  }

  raw.jwt_users?.forEach((u, i) => {
    if (!ctx.crossChecks) return;
    if (ctx.jwtUsers === undefined) {
      ctx.errors.push({ path: [...path, 'jwt_users', i], message: 'jwt_users needs server.jwt (JWT login is not configured)' });
    } else if (!ctx.jwtUsers.has(u)) {
      ctx.errors.push({
        path: [...path, 'jwt_users', i],
        message: `user ${JSON.stringify(u)} is not defined in server.jwt.users${didYouMean(u, [...ctx.jwtUsers])}`,
      });
    }
  });

  const allowProofOfPossession = raw.allow_proof_of_possession ?? false;
  if (allowProofOfPossession && !pkh.startsWith('tz4')) {
    ctx.warnings.push({
      path: [...path, 'allow_proof_of_possession'],
      message: 'has no effect: proofs of possession exist only for tz4 (BLS) keys',
    });
  }

  const limits = raw.limits === undefined ? undefined : buildKeyLimits(pkh, raw.limits, [...path, 'limits'], ctx.errors);
  if (limits !== undefined && requests.has('pack')) {
    // a signed Michelson value can authorise a transfer (generic multisig contracts, permits) that no limit sees
    ctx.errors.push({
      path: [...path, 'limits'],
      message:
        'cannot bound what this key signs: it also allows pack (signed Michelson values), which multisig contracts and permits accept as an order to transfer; remove pack from allow, or sign Michelson values with another key',
    });
  }
  if (limits !== undefined && !requests.has('generic')) {
    ctx.warnings.push({
      path: [...path, 'limits'],
      message: 'has no effect: limits apply to generic requests, and this key does not allow generic',
    });
  }

  return {
    allowedRequests,
    allowedOperations,
    ...(allowedChains !== undefined ? { allowedChains } : {}),
    ...(authorizedKeys !== undefined ? { authorizedKeys } : {}),
    ...(raw.jwt_users !== undefined ? { jwtUsers: raw.jwt_users } : {}),
    allowProofOfPossession,
    logPayloads: raw.log_payloads ?? false,
    ...(limits !== undefined ? { limits } : {}),
  };
}

/** Applies KIND_ALIASES, noting the rewrite for the deprecation warning. */
function rewrite(name: string, deprecated: string[]): string {
  const to = KIND_ALIASES[name];
  if (to === undefined) return name;
  deprecated.push(`"${name}" (now "${to}")`);
  return to;
}

function unknownRequestKind(kind: string, written: string): string {
  const was = kind === written ? '' : ` (written as ${JSON.stringify(written)})`;
  if (GENERIC_KINDS.includes(kind) || kind.startsWith('ballot:')) {
    return `${JSON.stringify(kind)}${was} is an operation kind, not a request kind: list it under allow.generic`;
  }
  return `unknown request kind ${JSON.stringify(kind)}${was}${didYouMean(kind, REQUEST_KINDS)}; expected one of: ${REQUEST_KINDS.join(', ')}`;
}

type Checked = { ok: true; value: string } | { ok: false; message: string };

/** `kind` or `ballot:vote`, aliases applied to the part before `:`. */
function checkOperationKind(written: string, deprecated: string[]): Checked {
  const colon = written.indexOf(':');
  const base = rewrite(colon < 0 ? written : written.slice(0, colon), deprecated);
  const sub = colon < 0 ? undefined : written.slice(colon + 1);
  const kind = sub === undefined ? base : `${base}:${sub}`;
  const was = kind === written ? '' : ` (written as ${JSON.stringify(written)})`;
  if (!GENERIC_KINDS.includes(base)) {
    if ((REQUEST_KINDS as readonly string[]).includes(base)) {
      return {
        ok: false,
        message: `${JSON.stringify(base)}${was} is a request kind, not an operation kind: allow it with "allow.${base}:"`,
      };
    }
    return { ok: false, message: `unknown operation kind ${JSON.stringify(kind)}${was}${didYouMean(base, GENERIC_KINDS)}` };
  }
  if (sub !== undefined) {
    if (base !== 'ballot') {
      return { ok: false, message: `${JSON.stringify(kind)}: only ballot takes a sub-kind (ballot:yay, ballot:nay, ballot:pass)` };
    }
    if (!(BALLOT_VOTES as readonly string[]).includes(sub)) {
      return {
        ok: false,
        message: `unknown ballot vote ${JSON.stringify(sub)}${didYouMean(sub, BALLOT_VOTES)}; expected ballot, ballot:yay, ballot:nay or ballot:pass`,
      };
    }
  }
  return { ok: true, value: kind };
}

/** The `allow:` YAML equivalent to a normalised policy, for deprecation warnings. */
export function allowYaml(requests: readonly string[], operations: readonly string[], withOps: boolean): string {
  const lines = ['  allow:'];
  for (const r of requests) {
    lines.push(`    ${r}:`);
    if (r === 'generic') for (const op of operations) lines.push(`      - ${op}`);
  }
  if (!requests.includes('generic') && withOps && operations.length > 0) {
    lines.push(`    # generic is not allowed, so these operation kinds had no effect: ${operations.join(', ')}`);
  }
  if (requests.length === 0) lines[0] = '  allow: {}';
  return lines.join('\n');
}
