import { blake2b256, watermarkSlot } from '@signatory-ts/core';
import { MemoryWatermarkStore, NO_SIGNATURE, signWithWatermark, type CommitResult } from '../src';

describe('signWithWatermark', () => {
  it('never releases an empty signature, even from a store that wrongly answers replay over an imported mark', async () => {
    // a store bug the conformance suite forbids; the signing path refuses it anyway
    class ReplaysImported extends MemoryWatermarkStore {
      override async commit(): Promise<CommitResult> {
        return { status: 'replay', signature: NO_SIGNATURE };
      }
    }
    const slot = watermarkSlot('NetXo5iVw1vBoxM', 'tz1WGcYos3hL7GXYXjKrMnSFdkT7FyXnFBvf', 'block');
    const r = await signWithWatermark(
      new ReplaysImported(),
      slot,
      { level: 5, round: 0, digest: blake2b256(new Uint8Array(1)) },
      async () => 'sig',
    );
    expect(r).toEqual({ status: 'rejected', stored: { level: 5, round: 0 } });
  });
});
