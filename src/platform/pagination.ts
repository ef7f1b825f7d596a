/** Cursors are opaque to clients: the last row's key, encoded so nobody builds them by hand. */
export function encodeCursor(id: number): string {
  return Buffer.from(String(id)).toString('base64url');
}

/** An unreadable cursor starts from the beginning rather than failing the request. */
export function decodeCursor(cursor: string): number {
  const id = Number(Buffer.from(cursor, 'base64url').toString());
  return Number.isSafeInteger(id) && id > 0 ? id : 0;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}
