/**
 * The watermark stores the suites run against (the replicas and spend suites here, signatory-cli's
 * `watermark` command tests): each row starts what its store needs (a server on 127.0.0.1) once per
 * suite and gives the `watermark:` block of a fresh store for each use.
 */
import { rename } from 'node:fs/promises';
import path from 'node:path';
import { startDynalite, startPostgres } from '@signatory-ts/dev-servers';

/** One store, with whatever server it needs. */
export interface RunningStore {
  /** The `watermark:` YAML block of the store `id` names (empty until used); `id` is unique per use (a table name, say). */
  yaml(id: string): string;
  /**
   * Makes the store fail for every replica (a server stopped, a directory gone) until the returned
   * function brings it back with its marks. `baseDir` is the replicas' base_dir.
   */
  outage?(baseDir: string): Promise<() => Promise<void>>;
  stop(): Promise<void>;
}

export interface StoreSetup {
  readonly name: string;
  start(): Promise<RunningStore>;
}

/**
 * `file` needs no server: each use has its own base_dir, or several processes on one host share one (a
 * supported set-up: the kernel lock keeps them apart). `aws` and `postgres` start packages/dev-servers'
 * startDynalite and startPostgres.
 */
export const STORE_SETUPS: readonly StoreSetup[] = [
  {
    name: 'file',
    start: async () => ({
      yaml: () => 'watermark:\n  driver: file\n',
      // the marks' directory moved away: every commit fails until it is put back
      async outage(baseDir) {
        const dir = path.join(baseDir, 'watermark_v2');
        await rename(dir, `${dir}.away`);
        return () => rename(`${dir}.away`, dir);
      },
      stop: async () => undefined,
    }),
  },
  {
    // DynamoDB (Go Signatory's table) on dynalite; an outage is dynalite's listener closed, its data kept (refused at
    // once). timeout_ms is far above what a call needs: under load dynalite (in the test process) once took over 2 s
    name: 'aws',
    start: async () => {
      const d = await startDynalite();
      return {
        yaml: (id) =>
          `watermark:\n  driver: aws\n  config:\n    table: ${id}\n    region: us-east-1\n    endpoint: ${d.endpoint}\n    access_key_id: AKIATEST\n    secret_access_key: test-secret\n    timeout_ms: 30000\n`,
        async outage() {
          await d.pause();
          return () => d.resume();
        },
        stop: () => d.stop(),
      };
    },
  },
  {
    // a real PostgreSQL; an outage is the server stopped, its data kept (refused at once). statement_timeout_ms (which
    // also bounds a new connection) is far above what a call needs on a loaded machine
    name: 'postgres',
    start: async () => {
      const p = await startPostgres();
      return {
        yaml: (id) => `watermark:\n  driver: postgres\n  config:\n    url: ${p.url}\n    table: ${id}\n    statement_timeout_ms: 30000\n`,
        async outage() {
          await p.pause();
          return () => p.resume();
        },
        stop: () => p.stop(),
      };
    },
  },
];
