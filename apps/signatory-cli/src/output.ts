/** Where command output goes (stdout in the CLI); logs and progress go to stderr instead. */
export interface Out {
  write(s: string): unknown;
}

/** A title line, then one `    - <name>` line per name (Signatory's list-requests/list-ops layout). */
export function bulleted(title: string, names: readonly string[]): string {
  return `${title}\n${names.map((n) => `    - ${n}\n`).join('')}`;
}
