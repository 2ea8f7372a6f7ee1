import { compareWatermark, slotKey, type Mark, type Slot } from '@signatory-ts/core';
import { checkMark, type CommitResult, type SignedMark, type WatermarkStore } from './watermark-store';

/** Marks in a Map, gone when the process exits (tests, `driver: mem`). */
export class MemoryWatermarkStore implements WatermarkStore {
  readonly name = 'mem';
  private readonly marks = new Map<string, [Slot, Mark]>();

  async get(slot: Slot): Promise<Mark | undefined> {
    return this.marks.get(slotKey(slot))?.[1];
  }

  async commit(slot: Slot, next: SignedMark): Promise<CommitResult> {
    checkMark(slot, next);
    // compare and set with no await between them: atomic within the process
    const key = slotKey(slot);
    const stored = this.marks.get(key)?.[1];
    switch (compareWatermark(stored, next)) {
      case 'advance':
        this.marks.set(key, [{ ...slot }, copyMark(next)]);
        return { status: 'committed' };
      case 'replay':
        return { status: 'replay', signature: stored!.signature! };
      case 'reject':
        return { status: 'rejected', stored: stored! };
    }
  }

  async *list(): AsyncIterable<[Slot, Mark]> {
    for (const entry of [...this.marks.values()]) yield entry;
  }

  async reset(slot: Slot): Promise<boolean> {
    return this.marks.delete(slotKey(slot));
  }
}

function copyMark(m: SignedMark): Mark {
  return { level: m.level, round: m.round, digest: m.digest.slice(), signature: m.signature };
}
