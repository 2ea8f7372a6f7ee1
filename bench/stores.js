'use strict';
// The watermark stores the benches measure, each as a `watermark:` YAML block with whatever server it
// needs on 127.0.0.1; `file` first: the baseline of every run.
const path = require('node:path');
const { startDynalite, startPostgres } = require(path.join(__dirname, '..', 'packages', 'dev-servers', 'dist'));

const STORES = [
  {
    name: 'file',
    start: async () => ({ yaml: 'watermark:\n  driver: file\n', stop: async () => undefined }),
  },
  {
    // DynamoDB's API on dynalite (in this process): measures the store's code and round trips, not DynamoDB
    name: 'aws',
    start: async () => {
      const d = await startDynalite();
      return {
        yaml: `watermark:\n  driver: aws\n  config:\n    table: bench_${process.pid}\n    region: us-east-1\n    endpoint: ${d.endpoint}\n    access_key_id: AKIABENCH\n    secret_access_key: bench\n`,
        stop: () => d.stop(),
      };
    },
  },
  {
    // a real PostgreSQL server on loopback (fsync on)
    name: 'postgres',
    start: async () => {
      const p = await startPostgres();
      return {
        yaml: `watermark:\n  driver: postgres\n  config:\n    url: ${p.url}\n    table: bench_${process.pid}\n`,
        stop: () => p.stop(),
      };
    },
  },
];

module.exports = { STORES };
