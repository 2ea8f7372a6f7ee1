import { watermarkSlot } from '@signatory-ts/core';
import { KeyedLock, lockedSlotCount, withSlotLock } from '../src';

const tick = () => new Promise((r) => setTimeout(r, 1));

it('runs calls for one slot one at a time, in arrival order, and drains the lock table', async () => {
  const slot = watermarkSlot('NetXo5iVw1vBoxM', 'tz1WGcYos3hL7GXYXjKrMnSFdkT7FyXnFBvf', 'block');
  const events: string[] = [];
  let inside = 0;
  await Promise.all(
    Array.from({ length: 10 }, (_, i) =>
      withSlotLock(slot, async () => {
        inside++;
        expect(inside).toBe(1);
        events.push(`start${i}`);
        await tick();
        events.push(`end${i}`);
        inside--;
      }),
    ),
  );
  expect(events).toEqual(Array.from({ length: 10 }, (_, i) => [`start${i}`, `end${i}`]).flat());
  expect(lockedSlotCount()).toBe(0);
});

it('treats attestation and attestation_with_dal as one lock, other kinds as separate ones', async () => {
  const att = watermarkSlot('NetXo5iVw1vBoxM', 'tz1WGcYos3hL7GXYXjKrMnSFdkT7FyXnFBvf', 'attestation');
  const dal = watermarkSlot('NetXo5iVw1vBoxM', 'tz1WGcYos3hL7GXYXjKrMnSFdkT7FyXnFBvf', 'attestation_with_dal');
  const blk = watermarkSlot('NetXo5iVw1vBoxM', 'tz1WGcYos3hL7GXYXjKrMnSFdkT7FyXnFBvf', 'block');
  let release!: () => void;
  const held = withSlotLock(att, () => new Promise<void>((r) => (release = r)));
  let dalRan = false;
  let blockRan = false;
  const waiting = withSlotLock(dal, async () => void (dalRan = true));
  await withSlotLock(blk, async () => void (blockRan = true));
  expect(blockRan).toBe(true);
  expect(dalRan).toBe(false);
  release();
  await Promise.all([held, waiting]);
  expect(dalRan).toBe(true);
});

it('keeps going after a holder throws', async () => {
  const lock = new KeyedLock();
  await expect(lock.run('k', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
  expect(await lock.run('k', async () => 42)).toBe(42);
  expect(lock.size).toBe(0);
});
