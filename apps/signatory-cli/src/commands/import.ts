import type { GlobalOptions } from '../context';
export interface ImportOptions extends GlobalOptions { vault: string }
export async function importKeyCommand(_s: string | undefined, _o: ImportOptions): Promise<void> {}
