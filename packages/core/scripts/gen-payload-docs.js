#!/usr/bin/env node
/** Writes docs/payloads.md from the built codec tables. Build core first. */
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { renderPayloadDocs } = require('./payload-docs');

const core = require(path.join(__dirname, '..', 'dist'));
const out = path.join(__dirname, '..', '..', '..', 'docs', 'payloads.md');
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, renderPayloadDocs(core));
console.log(`wrote ${path.relative(process.cwd(), out)}`);
