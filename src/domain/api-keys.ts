/** What an API key may do, once: admin (everything), ingest (post events), read (every GET). */
export const API_KEY_SCOPES = ["admin", "ingest", "read"] as const;
export type Scope = (typeof API_KEY_SCOPES)[number];
