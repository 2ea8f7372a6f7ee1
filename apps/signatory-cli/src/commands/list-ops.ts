import { OPERATION_KINDS, PSEUDO_OPERATION_KINDS } from '@signatory-ts/core';
import { bulleted, type Out } from '../output';

/** `signatory-cli list-ops`: the operation kinds `allow.generic` may name (operations and pseudo-operations, sorted). */
export async function listOps(out: Out = process.stdout): Promise<void> {
  out.write(bulleted('Possible operation types:', [...OPERATION_KINDS, ...PSEUDO_OPERATION_KINDS].sort()));
}
