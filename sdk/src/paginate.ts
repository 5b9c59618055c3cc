/** Lists answer `{ data, next_cursor }`; these follow the cursor until it runs out. */
export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

/** Every item of every page, fetched one page at a time as the loop asks for more. */
export async function* paginate<T>(
  fetchPage: (cursor: string | undefined) => Promise<Page<T>>,
): AsyncGenerator<T, void, undefined> {
  let cursor: string | undefined;
  for (;;) {
    const page = await fetchPage(cursor);
    yield* page.data;
    if (!page.next_cursor) return;
    cursor = page.next_cursor;
  }
}

/** All items in an array (for small lists; prefer the iterator for a delivery log). */
export async function collect<T>(items: AsyncIterable<T>, max = Number.POSITIVE_INFINITY): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) {
    out.push(item);
    if (out.length >= max) break;
  }
  return out;
}
