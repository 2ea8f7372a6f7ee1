import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { load as parseYaml } from 'js-yaml';
import { startHookServer, type HookServer } from '@signatory-ts/dev-servers';
import { block, consensus, TRANSACTION } from './payloads';
import { REPO } from './bundled';
import { E2e, until, type Proc } from './processes';

// examples/grafana/signatory.json and examples/prometheus/alerts.yml against a real daemon: a
// scripted run of requests (signatures, refusals, a KMS failure, a policy hook, a reload), then every metric and
// label the queries name must be in /metrics.
let e2e: E2e;
let s: { proc: Proc; url: string; utilityUrl: string } | undefined;
let hook: HookServer;
let exported: Map<string, Set<string>>;

/** Sample name -> label names, from the Prometheus text format. */
function parseExposition(text: string): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s/.exec(line);
    if (!m) continue;
    const labels = out.get(m[1]!) ?? new Set<string>();
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_]\w*)="/g)) labels.add(l[1]!);
    out.set(m[1]!, labels);
  }
  return out;
}

const PROMQL_WORDS = new Set(
  'sum rate increase histogram_quantile by without and or unless on ignoring group_left group_right max min avg count bool offset label_values'.split(
    ' ',
  ),
);
/** Labels Prometheus adds to every scraped series. */
const TARGET_LABELS = new Set(['job', 'instance']);

/** The metric names and label names a PromQL expression (or a Grafana label_values query) uses. */
export function promqlNames(expr: string): { metrics: string[]; labels: string[] } {
  const labels: string[] = [];
  let e = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  e = e.replace(/label_values\(([^,()]*?),\s*(\w+)\)/g, (_m, sel: string, label: string) => {
    labels.push(label);
    return sel;
  });
  e = e.replace(/\{([^}]*)\}/g, (_m, body: string) => {
    for (const l of body.matchAll(/([a-zA-Z_]\w*)\s*(?:=~|!~|!=|=)/g)) labels.push(l[1]!);
    return ' ';
  });
  e = e.replace(/\b(by|without|on|ignoring)\s*\(([^)]*)\)/g, (_m, _k: string, list: string) => {
    labels.push(
      ...list
        .split(',')
        .map((l) => l.trim())
        .filter(Boolean),
    );
    return ' ';
  });
  e = e.replace(/\[[^\]]*\]/g, ' ');
  const metrics = [...e.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)].map((m) => m[0]).filter((w) => !PROMQL_WORDS.has(w));
  return { metrics, labels };
}

/** Every query of the dashboard (panel targets and template variables). */
async function dashboardQueries(): Promise<string[]> {
  const d = JSON.parse(await readFile(path.join(REPO, 'examples/grafana/signatory.json'), 'utf8')) as {
    panels: { targets?: { expr: string }[] }[];
    templating: { list: { type: string; query: string }[] };
  };
  return [
    ...d.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr)),
    ...d.templating.list.filter((v) => v.type === 'query').map((v) => v.query),
  ];
}
async function alertQueries(): Promise<string[]> {
  const a = parseYaml(await readFile(path.join(REPO, 'examples/prometheus/alerts.yml'), 'utf8')) as {
    groups: { rules: { alert: string; expr: string }[] }[];
  };
  return a.groups.flatMap((g) => g.rules.map((r) => r.expr));
}

beforeAll(async () => {
  e2e = await E2e.start('dashboards', ['ECC_NIST_P256']);
  hook = await startHookServer(); // allows every request the static policy let through
  await e2e.config(e2e.configFile, {
    allow: '{block: , preattestation: , attestation: , generic: [reveal]}',
    // the hook answers from this (test) process: on a loaded machine it gets 9 s (the default is 3), below the request deadline
    extra: `policy_hook:\n  address: ${hook.url}\n  timeout_ms: 9000\n`,
  });
  s = await e2e.serve();
  const pkh = e2e.keys[0]!.pkh;
  const post = async (hex: string, to = pkh) => (await fetch(`${s!.url}/keys/${to}`, { method: 'POST', body: JSON.stringify(hex) })).status;
  // the scripted run
  expect(await post(block(1, 0))).toBe(200);
  expect(await post(block(1, 0, 1))).toBe(409); // watermark
  expect(await post(consensus('preattestation', 1, 0))).toBe(200);
  expect(await post(consensus('attestation', 1, 0))).toBe(200);
  expect(await post(TRANSACTION)).toBe(403); // policy: transaction not allowed
  expect(await post(TRANSACTION, 'tz1WGcYos3hL7GXYXjKrMnSFdkT7FyXnFBvf')).toBe(403); // not listed
  await e2e.kms.faults({ fail: { operations: ['Sign'], errorType: 'KMSInternalException' } });
  expect(await post(block(2, 0))).toBe(500); // KMS failure (retried within the deadline, then given up)
  await e2e.kms.clearFaults();
  const { lines } = s.proc;
  const from = lines.length;
  s.proc.child.kill('SIGHUP');
  await until(() => lines.slice(from).some((l) => l.includes('msg="Configuration reloaded')));
  exported = parseExposition(await (await fetch(`${s.utilityUrl}/metrics`)).text());
});
afterAll(async () => {
  await e2e?.stop();
  await hook?.stop();
});

describe('dashboard and alert queries', () => {
  it('the PromQL reader finds metrics and labels', () => {
    expect(promqlNames('sum by (le, address) (rate(x_bucket{job="$job", op=~"a|b"}[5m])) > 0 and y == 0')).toEqual({
      metrics: ['x_bucket', 'y'],
      labels: ['job', 'op', 'le', 'address'],
    });
  });

  it.each([
    ['examples/grafana/signatory.json', dashboardQueries],
    ['examples/prometheus/alerts.yml', alertQueries],
  ])('%s: every metric it uses is exported with the labels it uses', async (_file, queries) => {
    const problems: string[] = [];
    const list = await queries();
    expect(list.length).toBeGreaterThan(5);
    for (const q of list) {
      const { metrics, labels } = promqlNames(q);
      expect(metrics.length).toBeGreaterThan(0);
      const scraped = metrics.filter((m) => m !== 'up'); // `up` is Prometheus' own
      for (const m of scraped) if (!exported.has(m)) problems.push(`${m} is not exported (in: ${q})`);
      const have = new Set([...TARGET_LABELS, ...scraped.flatMap((m) => [...(exported.get(m) ?? [])])]);
      for (const l of labels) if (!have.has(l)) problems.push(`label ${l} is on none of ${metrics.join(', ')} (in: ${q})`);
    }
    expect(problems).toEqual([]);
  });

  const promtool = spawnSync('promtool', ['--version']).status === 0;
  (promtool ? it : it.skip)('alerts.yml passes promtool check rules', () => {
    const r = spawnSync('promtool', ['check', 'rules', path.join(REPO, 'examples/prometheus/alerts.yml')], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
