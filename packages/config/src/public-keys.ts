import type { ConfigIssue, YamlPath } from './config-error';
import { publicKeyProblem } from './tezos-identifiers';

/**
 * An `authorized_keys` value: one public key, or a list of keys and lists (Go Signatory accepts
 * nesting, handy with YAML anchors), flattened in order with duplicates dropped. Each key must
 * decode as edpk/sppk/p2pk/BLpk (and pass `check`, if given); problems go to `errors` at the item's path.
 */
export function flattenKeys(value: unknown, path: YamlPath, errors: ConfigIssue[], check?: (key: string) => string | undefined): string[] {
  const out: string[] = [];
  const visit = (v: unknown, at: YamlPath) => {
    if (Array.isArray(v)) v.forEach((item, i) => visit(item, [...at, i]));
    else if (typeof v === 'string') {
      const problem = publicKeyProblem(v) ?? check?.(v);
      if (problem) errors.push({ path: at, message: problem });
      else if (!out.includes(v)) out.push(v);
    }
  };
  visit(value, path);
  return out;
}
