import { REQUEST_KINDS } from '@signatory-ts/core';
import { bulleted, type Out } from '../output';

/** `signatory-cli list-requests`: the request kinds a policy's `allow` may name. */
export async function listRequests(out: Out = process.stdout): Promise<void> {
  out.write(bulleted('Possible request types:', [...REQUEST_KINDS].sort()));
}
