/** RFC 3339 UTC strings in answers; integer milliseconds in storage. */
export const iso = (ms: number) => new Date(ms).toISOString();
export const isoOrNull = (ms: number | null | undefined) => (ms == null ? null : iso(ms));
