import type { ConfigIssue, YamlPath } from './config-error';

export type Env = Readonly<Record<string, string | undefined>>;

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Replaces environment references in every string value of a parsed YAML tree (mapping keys are
 * left alone). `${NAME}` works everywhere; bare `$NAME` only where `bareDollar(path)` says so
 * (Go Signatory expanded `base_dir` with os.ExpandEnv, so `$HOME/signatory` must keep working
 * there, while a `$` inside a password elsewhere must stay a `$`). `$$` is a literal `$`.
 * An unset variable is an issue naming the variable and the path; a value is never echoed,
 * since it may be a secret.
 */
export function substituteEnv(tree: unknown, env: Env, bareDollar: (path: YamlPath) => boolean): { value: unknown; issues: ConfigIssue[] } {
  const issues: ConfigIssue[] = [];
  const visit = (node: unknown, path: (string | number)[]): unknown => {
    if (typeof node === 'string') return expand(node, env, bareDollar(path), path, issues);
    if (Array.isArray(node)) return node.map((item, i) => visit(item, [...path, i]));
    if (node !== null && typeof node === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(node)) {
        Object.defineProperty(out, k, { value: visit(v, [...path, k]), enumerable: true, writable: true });
      }
      return out;
    }
    return node;
  };
  return { value: visit(tree, []), issues };
}

/** On any problem the text is returned unchanged, so later checks do not pile on. */
function expand(text: string, env: Env, bare: boolean, path: YamlPath, issues: ConfigIssue[]): string {
  if (!text.includes('$')) return text;
  const before = issues.length;
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c !== '$') {
      out += c;
      i++;
      continue;
    }
    const next = text[i + 1];
    if (next === '$') {
      out += '$';
      i += 2;
    } else if (next === '{') {
      const end = text.indexOf('}', i + 2);
      const name = end < 0 ? undefined : text.slice(i + 2, end);
      if (name === undefined || !NAME.test(name)) {
        issues.push({
          path,
          message: 'malformed ${...} reference: write ${NAME} with NAME made of letters, digits and _ (or $$ for a literal $)',
        });
        return text;
      }
      out += lookup(name, env, path, issues);
      i = end + 1;
    } else if (bare && next !== undefined && /[A-Za-z_]/.test(next)) {
      const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i + 1))![0];
      out += lookup(name, env, path, issues);
      i += 1 + name.length;
    } else {
      out += '$';
      i++;
    }
  }
  return issues.length > before ? text : out;
}

function lookup(name: string, env: Env, path: YamlPath, issues: ConfigIssue[]): string {
  const v = env[name];
  if (v === undefined) {
    issues.push({ path, message: `environment variable ${name} is not set` });
    return '';
  }
  return v;
}
