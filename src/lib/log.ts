/**
 * Structured JSON log lines. Callers pass ids (request, tenant, endpoint, delivery, event), never
 * payloads or secrets. An error goes in as itself (`error: err`) and comes out as `errorFields`
 * says: a failed query by its statement, never the values bound to it.
 */
type Fields = Record<string, unknown>;
type Level = "info" | "warn" | "error";
const RANK: Record<Level, number> = { info: 0, warn: 1, error: 2 };
let threshold: Level = "info";

/** LOG_LEVEL=warn keeps request lines out of the test output; production logs everything. */
export function setLogLevel(level: string | undefined) {
  threshold = level === "warn" || level === "error" ? level : "info";
}

function emit(level: Level, msg: string, fields: Fields) {
  if (RANK[level] < RANK[threshold]) return;
  const line = JSON.stringify({ level, msg, time: new Date().toISOString(), ...fields });
  if (level === "error") console.error(line);
  else if (level === "warn") console.warn(line);
  else console.log(line);
}

export const log = {
  info: (msg: string, fields: Fields = {}) => emit("info", msg, fields),
  warn: (msg: string, fields: Fields = {}) => emit("warn", msg, fields),
  error: (msg: string, fields: Fields = {}) => emit("error", msg, fields),
};

/** Drizzle's query error leaves `name` as "Error": its class says more. */
function errorName(e: object): string {
  const name = (e as Error).name;
  return name && name !== "Error" ? name : (e.constructor?.name ?? "Error");
}

/** A driver's error code, e.g. SQLITE_CONSTRAINT_PRIMARYKEY: names the failure and carries no value. */
const SQLITE_CODE = /\bSQLITE_[A-Z_]+\b/g;

/**
 * What a log line may say about an error. A failed query (Drizzle's DrizzleQueryError) says its
 * name, its SQL statement and the SQLite codes of its cause, never its message: that message is
 * "Failed query: <sql> params: <values>", and the values are payloads, URLs that may carry
 * tokens, metadata. Its stack starts with that message too, so it is left out. Any other error
 * says its name and message (our own messages, written without values).
 */
export function errorFields(err: unknown): Fields {
  for (let e = err, depth = 0; e && typeof e === "object" && depth < 4; depth++, e = (e as { cause?: unknown }).cause) {
    const query = (e as { query?: unknown }).query;
    if (typeof query === "string" && "params" in e) {
      const cause = (e as { cause?: unknown }).cause;
      const codes = [...new Set(String((cause as Error | undefined)?.message ?? "").match(SQLITE_CODE) ?? [])];
      return { error: errorName(e), statement: query.slice(0, 2000), ...(codes.length ? { sqlite_codes: codes } : {}) };
    }
  }
  if (err instanceof Error)
    return { error: errorName(err), message: err.message.slice(0, 500), stack: err.stack?.slice(0, 4000) };
  return { error: typeof err };
}
