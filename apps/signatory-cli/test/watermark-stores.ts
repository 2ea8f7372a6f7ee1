/**
 * The watermark stores the `watermark` command tests run against. Each row starts what its store
 * needs (a server on 127.0.0.1) once per suite and gives the `watermark:` block of a fresh, empty
 * store for each test. `file` needs nothing: every test has its own base_dir. Rows for `aws`
 * (packages/dev-servers startDynalite) and `postgres` (startPostgres) are added beside it.
 */
import { startDynalite } from '@signatory-ts/dev-servers';

export interface RunningStore {
  /** The `watermark:` YAML block of an empty store; `id` is unique per test (a table name, say). */
  yaml(id: string): string;
  stop(): Promise<void>;
}

export interface StoreSetup {
  readonly name: string;
  start(): Promise<RunningStore>;
}

export const STORE_SETUPS: readonly StoreSetup[] = [
  {
    name: 'file',
    start: async () => ({ yaml: () => 'watermark:\n  driver: file\n', stop: async () => undefined }),
  },
  {
    name: 'aws',
    start: async () => {
      const d = await startDynalite();
      return {
        yaml: (id) =>
          `watermark:\n  driver: aws\n  config:\n    table: ${id}\n    region: us-east-1\n    endpoint: ${d.endpoint}\n    access_key_id: AKIATEST\n    secret_access_key: test-secret\n    timeout_ms: 1000\n`,
        stop: () => d.stop(),
      };
    },
  },
];
