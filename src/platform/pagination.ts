import { validationFailed } from './validation';

/** Cursors are opaque to clients: the last row's key, encoded so nobody builds them by hand. */
export function encodeCursor(id: number): string {
  return Buffer.from(String(id)).toString('base64url');
}

const invalidCursor = () => validationFailed([{ field: 'cursor', code: 'INVALID', message: '翻页游标无效' }]);

/** A cursor this service did not hand out is refused, not silently read as "from the start". */
export function decodeCursor(cursor: string): number {
  const id = Number(Buffer.from(cursor, 'base64url').toString());
  if (!Number.isSafeInteger(id) || id <= 0 || encodeCursor(id) !== cursor) throw invalidCursor();
  return id;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/**
 * A page of a small catalogue that is read whole (functions, fees in force): the cursor is the number
 * of items already handed out, so these lists take `limit` and `cursor` like every other list.
 */
export function pageOf<T>(items: readonly T[], query: { limit: number; cursor?: string }): Page<T> {
  const start = query.cursor === undefined ? 0 : decodeCursor(query.cursor);
  // a cursor is handed out only while items remain after it
  if (start >= items.length) throw invalidCursor();
  const end = start + query.limit;
  return { items: items.slice(start, end), nextCursor: end < items.length ? encodeCursor(end) : null };
}
