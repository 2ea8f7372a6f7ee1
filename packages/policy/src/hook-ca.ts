import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { SignatoryError } from '@signatory-ts/core';

const READ_ERRORS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied (the signatory user cannot read it)',
  EISDIR: 'it is a directory, not a file',
};

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

const setting = 'policy_hook.ca_file';

/**
 * Reads `policy_hook.ca_file`, a PEM bundle of CA certificates, and checks each certificate in it,
 * so a wrong file is an error naming the setting, the file and the fix when the hook is built (at
 * start-up and on each reload), not a TLS failure on the first request. A bundle none of whose
 * certificates is valid at `now` is refused too: OpenSSL checks a CA's dates, so every handshake
 * would fail. Returns the file's bytes.
 */
export function readHookCa(file: string, now = Date.now()): Buffer {
  const fix = "give the PEM file of the CA that signed the hook's certificate";
  let pem: Buffer;
  try {
    pem = readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? '';
    throw new SignatoryError('config_invalid', `${setting}: cannot read ${file}: ${READ_ERRORS[code] ?? (e as Error).message}; ${fix}`);
  }
  const blocks = pem.toString('latin1').match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) {
    throw new SignatoryError(
      'config_invalid',
      `${setting}: ${file} is not a PEM certificate file (no "-----BEGIN CERTIFICATE-----" block); ${fix}`,
    );
  }
  const certificates = blocks.map((b, i) => {
    try {
      return new X509Certificate(b);
    } catch (e) {
      throw new SignatoryError(
        'config_invalid',
        `${setting}: certificate ${i + 1} in ${file} cannot be parsed (${(e as Error).message}); ${fix}`,
      );
    }
  });
  const outside = certificates.map((c, i) => {
    const which = certificates.length === 1 ? 'its certificate' : `certificate ${i + 1}`;
    if (now > Date.parse(c.validTo)) return `${which} expired on ${c.validTo}`;
    if (now < Date.parse(c.validFrom)) return `${which} is not valid before ${c.validFrom}`;
    return undefined;
  });
  if (outside.every((o) => o !== undefined)) {
    throw new SignatoryError(
      'config_invalid',
      `${setting}: ${file}: ${outside.join(', ')}, so no hook certificate could be trusted (OpenSSL checks a CA's dates too); give the PEM file of a CA that is valid now`,
    );
  }
  try {
    createSecureContext({ ca: pem }); // what each connection to the hook will do
  } catch (e) {
    throw new SignatoryError('config_invalid', `${setting}: OpenSSL refuses ${file} (${(e as Error).message}); ${fix}`);
  }
  return pem;
}
