import fs from 'node:fs';
import { hostname } from 'node:os';

/**
 * Lock files of earlier versions, which guessed whether a lock's holder was alive instead of letting
 * the kernel hold the lock: `<target>.lock`, a symbolic link whose target is the record `{pid,
 * hostname, token, bootId?, pidNs?, startTime?}` (or, earlier still, a regular file holding it),
 * and `<target>.lock.takeover`. Such a file is left when a signer of an earlier version died
 * holding it, or while one still runs (an earlier and this version must not share a base_dir).
 *
 * Looked at under the kernel lock, so by one process at a time: a record whose holder is certainly
 * dead — an earlier boot; or this PID namespace and no process has its pid, or the one that has it
 * started at another time — is removed; any other is reported, and the lock is not used until an
 * operator looks or the holder ends.
 */

interface LegacyRecord {
  pid: number;
  hostname: string;
  bootId?: string;
  pidNs?: string;
  startTime?: string;
}

const HOST = hostname();
const BOOT_ID = readOrUndefined(() => fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim());
/** This process's PID namespace, if /proc shows it (a /proc of another namespace does not). */
const PID_NS = readOrUndefined(() =>
  fs.readlinkSync('/proc/self') === String(process.pid) ? fs.readlinkSync('/proc/self/ns/pid') : undefined,
);

function readOrUndefined<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}

/** Removes earlier versions' lock files of `target` whose holders are dead; `problem` says why one stays. */
export function clearLegacyLocks(target: string): { removed: boolean; problem?: string } {
  let removed = false;
  for (const file of [`${target}.lock`, `${target}.lock.takeover`]) {
    // the usual case, asked at every commit: no such file. An lstat says so without a thrown ENOENT
    if (fs.lstatSync(file, { throwIfNoEntry: false }) === undefined) continue;
    let text: string;
    try {
      text = readLockText(file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
      return { removed, problem: `cannot go on: ${file} (an earlier version's lock) cannot be read (${(e as Error).message}). ${CLEAR}` };
    }
    const r = parseRecord(text);
    if (r === undefined) return { removed, problem: `cannot go on: ${file} (an earlier version's lock) holds no lock record. ${CLEAR}` };
    const alive = holderAlive(r);
    if (alive !== false)
      return { removed, problem: `cannot go on: ${file}, an earlier version's lock, is held by process ${r.pid} ${alive}. ${CLEAR}` };
    fs.rmSync(file, { force: true });
    removed = true;
  }
  return { removed };
}

const CLEAR = 'Check that no signatory of an earlier version uses this base_dir (in other containers too), then delete that file';

/** A symbolic link's target, or a regular file's text. */
function readLockText(file: string): string {
  try {
    return fs.readlinkSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EINVAL') return fs.readFileSync(file, 'utf8'); // not a link
    throw e;
  }
}

function parseRecord(text: string): LegacyRecord | undefined {
  try {
    const r = JSON.parse(text) as Partial<LegacyRecord>;
    if (!Number.isSafeInteger(r.pid) || r.pid! <= 0 || typeof r.hostname !== 'string') return undefined;
    return r as LegacyRecord;
  } catch {
    return undefined;
  }
}

/** False when the holder is certainly dead; else why it may be alive. */
function holderAlive(r: LegacyRecord): string | false {
  if (r.hostname !== HOST) return `on another host (${r.hostname})`;
  if (typeof r.bootId === 'string' && BOOT_ID !== undefined && r.bootId !== BOOT_ID) return false;
  if (r.pidNs !== undefined && r.pidNs !== PID_NS)
    return `of another PID namespace (${r.pidNs}), whose liveness cannot be checked from here`;
  try {
    process.kill(r.pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  if (typeof r.startTime === 'string') {
    const now = readOrUndefined(() => {
      const stat = fs.readFileSync(`/proc/${r.pid}/stat`, 'utf8');
      return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
    });
    if (now !== undefined && now !== r.startTime) return false; // a recycled pid
  }
  return 'that is alive: stop it (it must not share a base_dir with this version)';
}
