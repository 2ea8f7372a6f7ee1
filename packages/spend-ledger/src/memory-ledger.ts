import { DocumentLedger, type Change } from './document-ledger';
import { emptyDocument, formatDocument, parseDocument, type LedgerDocument } from './ledger-document';

/** Ledgers in a Map, gone when the process exits (tests, `watermark: driver: mem`). */
export class MemorySpendLedger extends DocumentLedger {
  readonly name = 'mem';
  /** Stored as text, as the other stores keep it: no caller holds a reference into the ledger. */
  private readonly docs = new Map<string, string>();

  protected async load(key: string): Promise<LedgerDocument> {
    const text = this.docs.get(key);
    return text === undefined ? emptyDocument() : parseDocument(text, `mem:${key}`);
  }

  protected async update<T>(key: string, change: (doc: LedgerDocument) => Change<T>): Promise<T> {
    // read, change and write with no await between them: atomic within the process
    const text = this.docs.get(key);
    const doc = text === undefined ? emptyDocument() : parseDocument(text, `mem:${key}`);
    const { result, write } = change(doc);
    if (write) this.docs.set(key, formatDocument(doc));
    return result;
  }

  async close(): Promise<void> {}
}
