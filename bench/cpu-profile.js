#!/usr/bin/env node
// Where signatory's CPU goes, by component, from the `--cpu-prof` profiles `BENCH_PROF=dir node
// bench/sign.js` writes. Each sample is charged to the innermost frame of a known component (our
// packages, express, the AWS SDK, noble, the logger, prom-client); frames of Node itself (http, net,
// fs, streams) are charged to the component that called them, and what no component called (the
// HTTP parser feeding a socket, timers) to the Node module it runs in. Prints the share of the
// samples that were not idle, and, given --requests (requests the profiled run served), CPU ms per
// request of each component.
// Usage: node bench/cpu-profile.js <file.cpuprofile | dir> [--requests N] [--top 15]
'use strict';
const { parseArgs } = require('node:util');
const { readdirSync, readFileSync, statSync } = require('node:fs');
const { join } = require('node:path');

const { values: opt, positionals } = parseArgs({
  allowPositionals: true,
  options: { requests: { type: 'string' }, top: { type: 'string', default: '15' } },
});

/** Component of a script URL, or undefined for Node's own code (charged to its caller). */
const COMPONENTS = [
  [/packages\/watermark\//, 'watermark store'],
  [/packages\/core\/dist\/(signature|der|curves)\.js/, 'signature verify (core)'],
  [/@noble\/curves|@noble\/hashes\/.*(sha2|hmac|_md)/, 'signature verify (noble)'],
  [/@noble\/hashes|@stablelib|blakejs/, 'hashing (blake2b)'],
  [/packages\/core\//, 'decode (core)'],
  [/node_modules\/(bs58check|base-x|bs58)\//, 'base58 (bs58check)'],
  [/node_modules\/(ajv|fast-uri|js-yaml|commander|yaml)\/|packages\/config\//, 'start-up (config)'],
  [/packages\/policy\//, 'policy'],
  [/packages\/signer\//, 'signer pipeline'],
  [/packages\/vault-awskms\//, 'vault-awskms'],
  [/@smithy\/signature-v4|@aws-crypto|@smithy\/util-hex|@smithy\/util-utf8/, 'AWS SigV4'],
  [/@aws-sdk|@smithy|fast-xml-parser|@aws\/|@opentelemetry/, 'AWS SDK (build, send, parse)'],
  [/packages\/log\/|winston|logform|triple-beam|safe-stable-stringify|readable-stream|colorspace|@colors/, 'logging'],
  [/prom-client|tdigest|bintrees/, 'metrics (prom-client)'],
  [/apps\/signatory\/dist\/metrics/, 'metrics (prom-client)'],
  [
    /node_modules\/(express|router|body-parser|raw-body|on-finished|finalhandler|send|accepts|type-is|content-type|mime|qs|debug|depd|iconv-lite|statuses|http-errors|bytes|path-to-regexp|parseurl|cookie|vary|encodeurl|escape-html|fresh|range-parser|media-typer|negotiator|proxy-addr|forwarded|ipaddr|merge-descriptors|utils-merge|setprototypeof|ee-first|unpipe|content-disposition|etag|serve-static|on-headers|destroy|toidentifier|inherits|safe-buffer|object-inspect|side-channel|get-intrinsic|es-|call-bind|has-|gopd|function-bind|hasown|math-intrinsics|dunder-proto)\//,
    'Express + body parsing',
  ],
  [/apps\/signatory\/dist\//, 'daemon (apps/signatory)'],
  [/node_modules\//, 'other dependencies'],
];

function componentOf(url) {
  if (url === '' || url.startsWith('node:')) return undefined;
  for (const [re, name] of COMPONENTS) if (re.test(url)) return name;
  return 'other';
}

/** The Node module of a frame of Node's own code, for samples no component called. */
function nodeModuleOf(frame) {
  const m = /^node:(?:internal\/)?([a-z_]+)/.exec(frame.url);
  if (m) return `node ${m[1]}`;
  return frame.functionName === '(garbage collector)' ? 'GC' : frame.functionName || '(native)';
}

function files(arg) {
  if (statSync(arg).isDirectory())
    return readdirSync(arg)
      .filter((f) => f.endsWith('.cpuprofile'))
      .map((f) => join(arg, f));
  return [arg];
}

const totals = new Map();
const fns = new Map();
let busyMicros = 0;
let idleMicros = 0;
for (const file of positionals.flatMap(files)) {
  const prof = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const charge = new Map(); // node id -> component
  const chargeOf = (id) => {
    if (charge.has(id)) return charge.get(id);
    const n = byId.get(id);
    let c = componentOf(n.callFrame.url);
    if (c === undefined) {
      const p = parent.get(id);
      const up = p === undefined ? undefined : chargeOf(p);
      c = up === undefined || up.startsWith('node ') || up === 'GC' || up === '(root)' ? nodeModuleOf(n.callFrame) : up;
    }
    charge.set(id, c);
    return c;
  };
  const dt = prof.timeDeltas;
  for (let i = 0; i < prof.samples.length; i++) {
    const n = byId.get(prof.samples[i]);
    const us = dt[i + 1] ?? 0;
    if (n.callFrame.functionName === '(idle)') {
      idleMicros += us;
      continue;
    }
    busyMicros += us;
    const c = chargeOf(n.id);
    totals.set(c, (totals.get(c) ?? 0) + us);
    const fn = `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.replace(/.*node_modules\//, '').replace(/.*\/(packages|apps)\//, '$1/')}:${n.callFrame.lineNumber + 1}`;
    fns.set(fn, (fns.get(fn) ?? 0) + us);
  }
}

const requests = opt.requests === undefined ? undefined : Number(opt.requests);
console.log(
  `busy ${(busyMicros / 1e6).toFixed(2)} s, idle ${(idleMicros / 1e6).toFixed(2)} s` +
    (requests ? `, ${(busyMicros / 1e3 / requests).toFixed(3)} ms busy per request over ${requests} requests` : ''),
);
console.log('component'.padEnd(34), 'share'.padStart(7), requests ? 'ms/req'.padStart(8) : '');
for (const [c, us] of [...totals].sort((a, b) => b[1] - a[1])) {
  console.log(
    c.padEnd(34),
    `${((100 * us) / busyMicros).toFixed(1)}%`.padStart(7),
    requests ? (us / 1e3 / requests).toFixed(3).padStart(8) : '',
  );
}
console.log(`\ntop ${opt.top} functions (self time)`);
for (const [f, us] of [...fns].sort((a, b) => b[1] - a[1]).slice(0, Number(opt.top))) {
  console.log(`${((100 * us) / busyMicros).toFixed(1)}%`.padStart(6), f);
}
