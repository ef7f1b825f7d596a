import { validationFailed } from './validation';

/** Cursors are opaque to clients: the last row's key, encoded so nobody builds them by hand. */
export function encodeCursor(id: number): string {
  return Buffer.from(String(id)).toString('base64url');
}

/** A cursor this service did not hand out is refused, not silently read as "from the start". */
export function decodeCursor(cursor: string): number {
  const id = Number(Buffer.from(cursor, 'base64url').toString());
  if (!Number.isSafeInteger(id) || id <= 0 || encodeCursor(id) !== cursor) {
    throw validationFailed([{ field: 'cursor', code: 'INVALID', message: '翻页游标无效' }]);
  }
  return id;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}
