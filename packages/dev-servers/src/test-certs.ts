import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Test certificates made with the `openssl` CLI at test time (P-256 keys, valid two days): a CA,
 * server certificates for 127.0.0.1 and client certificates it issues. Every file is written in `dir`.
 */
export interface Issued {
  /** Path of the PEM certificate. */
  readonly cert: string;
  /** Path of its unencrypted PEM private key. */
  readonly key: string;
  /** SHA-256 fingerprint as Node's X509Certificate shows it (AA:BB:…). */
  readonly fingerprint: string;
}

const openssl = (dir: string, args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });

/** `openssl req` arguments for a new unencrypted P-256 key written to `<name>.key`, subject CN=`name`. */
const newKey = (dir: string, name: string) => [
  '-newkey',
  'ec',
  '-pkeyopt',
  'ec_paramgen_curve:P-256',
  '-nodes',
  '-keyout',
  path.join(dir, `${name}.key`),
  '-subj',
  `/CN=${name}`,
];

const issued = (dir: string, name: string): Issued => {
  const cert = path.join(dir, `${name}.crt`);
  return { cert, key: path.join(dir, `${name}.key`), fingerprint: new X509Certificate(readFileSync(cert)).fingerprint256 };
};

/** A self-signed CA, `<name>.crt` and `<name>.key` in `dir`. */
export function makeCa(dir: string, name: string): Issued {
  openssl(dir, ['req', '-x509', ...newKey(dir, name), '-out', path.join(dir, `${name}.crt`), '-days', '2']);
  return issued(dir, name);
}

/**
 * A self-signed CA that expired long ago (valid 2020-01-01 to 2020-01-02), `<name>.crt` and `<name>.key` in
 * `dir`: `openssl req -x509` of OpenSSL 3.0 cannot set dates in the past, `openssl ca` can (its database and
 * serial files are written in a subdirectory of `dir`).
 */
export function makeExpiredCa(dir: string, name: string): Issued {
  const db = path.join(dir, `${name}.ca-db`);
  mkdirSync(db);
  writeFileSync(path.join(db, 'index.txt'), '');
  writeFileSync(path.join(db, 'serial'), '01\n');
  const config = path.join(db, 'ca.cnf');
  writeFileSync(
    config,
    `[ca]\ndefault_ca = old\n[old]\ndatabase = ${db}/index.txt\nnew_certs_dir = ${db}\nserial = ${db}/serial\n` +
      'default_md = sha256\npolicy = any\nunique_subject = no\n[any]\ncommonName = supplied\n',
  );
  const ext = path.join(db, 'ext');
  writeFileSync(ext, 'basicConstraints=critical,CA:TRUE\nkeyUsage=keyCertSign,cRLSign\n');
  const csr = path.join(db, `${name}.csr`);
  openssl(dir, ['req', '-new', ...newKey(dir, name), '-out', csr]);
  openssl(dir, [
    'ca',
    '-config',
    config,
    '-selfsign',
    '-keyfile',
    path.join(dir, `${name}.key`),
    '-in',
    csr,
    '-out',
    path.join(dir, `${name}.crt`),
    '-startdate',
    '20200101000000Z',
    '-enddate',
    '20200102000000Z',
    '-extfile',
    ext,
    '-batch',
    '-notext',
  ]);
  return issued(dir, name);
}

/** A certificate signed by `ca`: for the server at 127.0.0.1, or a client. */
export function issue(dir: string, ca: Issued, name: string, use: 'server' | 'client'): Issued {
  const csr = path.join(dir, `${name}.csr`);
  const ext = path.join(dir, `${name}.ext`);
  writeFileSync(ext, use === 'server' ? 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' : 'extendedKeyUsage=clientAuth\n');
  openssl(dir, ['req', '-new', ...newKey(dir, name), '-out', csr]);
  openssl(dir, [
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    ca.cert,
    '-CAkey',
    ca.key,
    '-CAcreateserial',
    '-out',
    path.join(dir, `${name}.crt`),
    '-days',
    '2',
    '-extfile',
    ext,
  ]);
  return issued(dir, name);
}

/** `key` re-written encrypted (PKCS#8, AES-256) with `passphrase`. */
export function encryptKey(dir: string, key: string, passphrase: string): string {
  const out = key.replace(/\.key$/, '.enc.key');
  openssl(dir, ['pkey', '-in', key, '-aes256', '-passout', `pass:${passphrase}`, '-out', out]);
  return out;
}
