/**
 * Cursor pagination over time-sortable ids, newest first. The cursor is the last id of the page,
 * base64url-wrapped so clients treat it as opaque; `WHERE id < cursor` keeps pages stable while
 * new rows arrive at the head.
 */
import { z } from "@hono/zod-openapi";
import { badRequest } from "../errors";

export const PaginationQuery = {
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(100)
    .default(20)
    .openapi({ description: "Page size, 1..100.", example: 20 }),
  cursor: z.string().max(200).optional().openapi({ description: "The `next_cursor` of the previous page." }),
};

export function encodeCursor(id: string): string {
  return btoa(JSON.stringify({ id })).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** An id, with the place suffix src/db/ids.ts gives a row in a tenant log segment past the first or a shard past the first. */
const ID_PATTERN = /^[a-z]+_[0-9a-z]+(\.[0-9]{1,9}(~[0-9]{1,2})?)?$/;

/** The position a cursor names; `pattern` says what a valid position looks like (an id by default). */
export function decodeCursor(cursor: string | undefined, pattern: RegExp = ID_PATTERN): string | undefined {
  if (cursor === undefined) return undefined;
  try {
    const json = atob(cursor.replace(/-/g, "+").replace(/_/g, "/"));
    const parsed = JSON.parse(json) as { id?: unknown };
    if (typeof parsed.id === "string" && pattern.test(parsed.id)) return parsed.id;
  } catch {
    // fall through to the 400 below
  }
  throw badRequest("invalid cursor", [{ path: "cursor", message: "not a cursor this API issued" }]);
}

/**
 * Rows read across a tenant's log segments (src/tenant-log/log-segments.ts): `resume` is where the
 * next page starts when the walk stopped at its bound before finding limit+1 rows.
 */
interface ResumablePage<T> {
  rows: T[];
  resume: string | null;
}

/** Given limit+1 rows fetched, answers the page and the cursor of the next one. */
export function page<T extends { id: string }>(
  rows: T[] | ResumablePage<T>,
  limit: number,
): { data: T[]; next_cursor: string | null };
export function page<T>(rows: T[], limit: number, key: (row: T) => string): { data: T[]; next_cursor: string | null };
export function page<T>(
  found: T[] | ResumablePage<T>,
  limit: number,
  key: (row: T) => string = (r) => (r as { id: string }).id,
) {
  const rows = Array.isArray(found) ? found : found.rows;
  const resume = Array.isArray(found) ? null : found.resume;
  const more = rows.length > limit;
  const data = more ? rows.slice(0, limit) : rows;
  if (!more && resume !== null) return { data, next_cursor: encodeCursor(resume) };
  return { data, next_cursor: more && data.length ? encodeCursor(key(data[data.length - 1]!)) : null };
}

export function paginated<T extends z.ZodTypeAny>(item: T) {
  return z.object({ data: z.array(item), next_cursor: z.string().nullable() });
}
