import type { GlobalOptions } from '../context';
export interface GenerateOptions extends GlobalOptions { vault: string }
export async function generate(_o: GenerateOptions): Promise<void> {}
