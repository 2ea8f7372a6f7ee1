/**
 * What the lock tests share: one block slot on one chain, a mark at a level, and the refusal a
 * commit that cannot take the lock ends in.
 */
import { watermarkSlot } from '@signatory-ts/core';
import { WatermarkLockError } from '../src';

export const CHAIN = 'NetXo5iVw1vBoxM';
export const PKH = 'tz1WGcYos3hL7GXYXjKrMnSFdkT7FyXnFBvf';
export const slot = watermarkSlot(CHAIN, PKH, 'block');
export const mark = (level: number) => ({ level, round: 0, digest: new Uint8Array(32).fill(level), signature: `sig${level}` });

/** The WatermarkLockError `p` rejects with (the test fails if it resolves or rejects with anything else). */
export async function lockRefusal(p: Promise<unknown>): Promise<WatermarkLockError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(WatermarkLockError);
  return e as WatermarkLockError;
}
