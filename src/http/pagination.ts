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

export function decodeCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined) return undefined;
  try {
    const json = atob(cursor.replace(/-/g, "+").replace(/_/g, "/"));
    const parsed = JSON.parse(json) as { id?: unknown };
    if (typeof parsed.id === "string" && /^[a-z]+_[0-9a-z]+$/.test(parsed.id)) return parsed.id;
  } catch {
    // fall through to the 400 below
  }
  throw badRequest("invalid cursor", [{ path: "cursor", message: "not a cursor this API issued" }]);
}

/** Given limit+1 rows fetched, answers the page and the cursor of the next one. */
export function page<T extends { id: string }>(rows: T[], limit: number) {
  const more = rows.length > limit;
  const data = more ? rows.slice(0, limit) : rows;
  return { data, next_cursor: more && data.length ? encodeCursor(data[data.length - 1]!.id) : null };
}

export function paginated<T extends z.ZodTypeAny>(item: T) {
  return z.object({ data: z.array(item), next_cursor: z.string().nullable() });
}
