import { readFileSync, statSync } from 'node:fs';
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { createSecureContext, type SecureContextOptions } from 'node:tls';
import type { TlsConfig } from '@signatory-ts/config';
import { SignatoryError } from '@signatory-ts/core';

/**
 * `server.tls` / `server.utility_tls` (not in Go Signatory): the files read and checked one by one,
 * so a bad one is a start-up error naming the file and what is wrong with it, never a Node
 * OpenSSL error without a file name. The same function re-reads them on SIGHUP.
 */

/** What https.createServer and Server#setSecureContext take, plus what the operator should know. */
export interface TlsMaterial {
  readonly context: SecureContextOptions;
  /** client_ca_file is set: every client must present a certificate that chains to it. */
  readonly mtls: boolean;
  /** The leaf certificate, for the log line (subject, expiry, fingerprint). */
  readonly certificate: X509Certificate;
  /** Things to fix that do not stop the start (a key others can read, an expired certificate). */
  readonly warnings: readonly string[];
  /** Why the certificate is not valid now (expired, not yet valid); undefined when it is. A reload refuses such a file. */
  readonly outsideValidity?: string;
}

const READ_ERRORS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied (the signatory user cannot read it)',
  EISDIR: 'it is a directory, not a file',
};

function readFile(file: string, at: string): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? '';
    throw new SignatoryError('config_invalid', `${at}: cannot read ${file}: ${READ_ERRORS[code] ?? (e as Error).message}`);
  }
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Every certificate of a PEM bundle, parsed; the error names the file. */
function certificates(pem: Buffer, file: string, at: string): X509Certificate[] {
  const blocks = pem.toString('latin1').match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) {
    throw new SignatoryError('config_invalid', `${at}: ${file} is not a PEM certificate file (no "-----BEGIN CERTIFICATE-----" block)`);
  }
  return blocks.map((b, i) => {
    try {
      return new X509Certificate(b);
    } catch (e) {
      throw new SignatoryError('config_invalid', `${at}: certificate ${i + 1} in ${file} cannot be parsed: ${(e as Error).message}`);
    }
  });
}

function privateKey(pem: Buffer, file: string, at: string, passphrase: string | undefined): KeyObject {
  const text = pem.toString('latin1');
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) {
    throw new SignatoryError(
      'config_invalid',
      `${at}.key_file: ${file} is not a PEM private key (no "-----BEGIN … PRIVATE KEY-----" block)`,
    );
  }
  const encrypted = /-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(text);
  if (encrypted && passphrase === undefined) {
    throw new SignatoryError(
      'config_invalid',
      `${at}.key_file: ${file} is encrypted: set ${at}.key_passphrase (e.g. key_passphrase: \${TLS_KEY_PASSPHRASE})`,
    );
  }
  try {
    return createPrivateKey({ key: pem, format: 'pem', ...(passphrase !== undefined ? { passphrase } : {}) });
  } catch {
    // OpenSSL's text says little ("bad decrypt", "unsupported") and the passphrase must never be shown
    throw new SignatoryError(
      'config_invalid',
      encrypted
        ? `${at}.key_file: ${file} cannot be decrypted with ${at}.key_passphrase: check the passphrase`
        : `${at}.key_file: ${file} holds a private key that cannot be read (damaged, or a type Node does not support)`,
    );
  }
}

/** Reads and checks a listener's TLS files. Throws config_invalid naming the setting, the file and the fault. */
export function loadTls(config: TlsConfig, at: string, now = Date.now()): TlsMaterial {
  const warnings: string[] = [];
  const certPem = readFile(config.certFile, `${at}.cert_file`);
  const keyPem = readFile(config.keyFile, `${at}.key_file`);
  const [leaf] = certificates(certPem, config.certFile, `${at}.cert_file`) as [X509Certificate];
  const key = privateKey(keyPem, config.keyFile, at, config.keyPassphrase);
  if (!leaf.checkPrivateKey(key)) {
    throw new SignatoryError(
      'config_invalid',
      `${at}: the key in ${config.keyFile} does not match the certificate in ${config.certFile} (the first certificate must be the server's own, then its intermediates)`,
    );
  }
  try {
    const mode = statSync(config.keyFile).mode;
    if ((mode & 0o077) !== 0) {
      warnings.push(
        `${at}.key_file: ${config.keyFile} can be read by other users (mode ${(mode & 0o777).toString(8).padStart(4, '0')}); chmod 600 it and make the signatory user its owner`,
      );
    }
  } catch {
    // it was just read: a stat failure here says nothing new
  }
  const validTo = Date.parse(leaf.validTo);
  const validFrom = Date.parse(leaf.validFrom);
  const outsideValidity =
    now > validTo
      ? `${at}.cert_file: the certificate in ${config.certFile} expired on ${leaf.validTo}; clients will refuse it`
      : now < validFrom
        ? `${at}.cert_file: the certificate in ${config.certFile} is not valid before ${leaf.validFrom}`
        : undefined;
  if (outsideValidity !== undefined) warnings.push(outsideValidity);
  let ca: Buffer | undefined;
  if (config.clientCaFile !== undefined) {
    ca = readFile(config.clientCaFile, `${at}.client_ca_file`);
    certificates(ca, config.clientCaFile, `${at}.client_ca_file`);
  }
  const context: SecureContextOptions = {
    cert: certPem,
    key: keyPem,
    ...(config.keyPassphrase !== undefined ? { passphrase: config.keyPassphrase } : {}),
    ...(ca !== undefined ? { ca } : {}),
    minVersion: config.minVersion,
  };
  try {
    createSecureContext(context); // what the server will do: fail here, with the setting named, not inside listen
  } catch (e) {
    throw new SignatoryError('config_invalid', `${at}: OpenSSL refuses these files: ${(e as Error).message}`);
  }
  return { context, mtls: ca !== undefined, certificate: leaf, warnings, ...(outsideValidity !== undefined ? { outsideValidity } : {}) };
}

/** A host any other machine can reach: not 127.0.0.0/8, ::1 or localhost (an empty host is every interface). */
export function isLoopbackHost(host: string | undefined): boolean {
  if (host === undefined) return false;
  const h = host.toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h) || /^::ffff:127\.\d+\.\d+\.\d+$/.test(h);
}
