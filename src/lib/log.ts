/**
 * Structured JSON log lines. Callers pass ids (request, tenant, endpoint, delivery, event), never
 * payloads or secrets.
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
