import { LEGACY_REQUEST_KINDS } from '@signatory-ts/core';
import type { Decision, PolicyRule, SignContext } from './decision';
import type { KeyPolicy } from './key-policy';
import { checkLimits } from './limits';

const ALLOW: Decision = { allow: true };
const deny = (rule: PolicyRule, reason: string, kind?: string): Decision => ({
  allow: false,
  rule,
  reason,
  ...(kind !== undefined ? { kind } : {}),
});

/**
 * Go Signatory's static policy, checks in its order: listed, JWT user, chain, client
 * authentication, request kind, then every operation of a generic request (the first one not
 * allowed is named). `policy` undefined means the pkh is not under `tezos:` at all.
 */
export function evaluate(ctx: SignContext, policy: KeyPolicy | undefined): Decision {
  if (policy === undefined) return deny('not_listed', `${ctx.pkh} is not listed in config`);
  if (policy.jwtUsers !== undefined) {
    // a key restricted to jwt_users is never signed with for a request that carries no JWT user
    if (ctx.jwtUser === undefined) return deny('jwt_user', `a JWT user is required to access ${ctx.pkh}`);
    if (!policy.jwtUsers.has(ctx.jwtUser)) return deny('jwt_user', `user \`${ctx.jwtUser}' is not authorized to access ${ctx.pkh}`);
  }
  // only requests that carry a chain id are restricted: generic and pack pass
  if (ctx.chainId !== undefined && policy.chains !== undefined && !policy.chains.has(ctx.chainId)) {
    return deny('chain', `chain \`${ctx.chainId}' is not allowed`);
  }
  if (policy.clients !== undefined) {
    if (ctx.clientPkh === undefined) return deny('authentication', 'authentication required');
    if (!policy.clients.has(ctx.clientPkh)) return deny('client', `client \`${ctx.clientPkh}' is not allowed`);
  }
  if ((LEGACY_REQUEST_KINDS as readonly string[]).includes(ctx.requestKind) || !policy.requests.has(ctx.requestKind)) {
    return deny('request_kind', `request kind \`${ctx.requestKind}' is not allowed`, ctx.requestKind);
  }
  if (ctx.requestKind !== 'generic') return ALLOW;
  const ops = ctx.operationKinds ?? [];
  // Go Signatory would let an operation list with no operations through; nothing valid is made of one
  if (ops.length === 0) return deny('operation_kind', 'generic request has no operations');
  for (const op of ops) {
    if (policy.operations.has(op)) continue;
    const colon = op.indexOf(':');
    if (colon > 0 && op.slice(0, colon) === 'ballot' && policy.operations.has('ballot')) continue;
    return deny('operation_kind', `operation \`${op}' is not allowed`, op);
  }
  if (policy.limits !== undefined) {
    // limits are checked over the decoded operations; a caller that did not pass them gets no signature
    if (ctx.generic === undefined) return deny('limits', 'limits: the decoded request is missing, so its limits cannot be checked');
    const refusal = checkLimits(ctx.generic, policy.limits);
    if (refusal !== undefined) return { allow: false, rule: 'limits', limit: refusal.rule, reason: refusal.reason };
  }
  return ALLOW;
}
