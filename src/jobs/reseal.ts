/**
 * The reseal pass of a key rotation (src/lib/crypto.ts): endpoints whose encrypted columns are not
 * yet v2 under the current ENCRYPTION_KEY (sealed under a key now in ENCRYPTION_KEYS_OLD, or v1
 * without associated data) are decrypted and sealed again, a bounded page per cron run.
 *
 * - It pages by id from a cursor kept in D1 (`job_cursors`), wrapping to the start after the last
 *   page, so rows no key opens are passed over (and tried again on the next lap, in case the
 *   operator adds their key) instead of being the first page of every run.
 * - Each row is written only if its version did not move meanwhile (a concurrent edit wins and is
 *   itself sealed under the current key), with its version bumped, and its dispatcher gets the new
 *   snapshot. A push that still fails after RESEAL_PUSH_ATTEMPTS puts the old ciphertexts back
 *   (conditionally, version bumped again): D1 then counts the row as stale, like the copy its
 *   dispatcher still holds, and a later pass redoes it. So `remaining: 0` means no copy anywhere
 *   is sealed under an old key, and only then may the old keys go.
 * - `v1_remaining` counts rows still holding a v1 value; at 0, ENCRYPTION_REFUSE_V1=true can be set.
 */
import { and, count, eq, gt, isNotNull, like, notLike, or } from "drizzle-orm";
import { endpointField, type SealedColumn } from "../attempts/endpoint-snapshot";
import { nextVersion } from "../attempts/endpoint-status";
import { getDb } from "../db/client";
import { endpoints, jobCursors } from "../db/schema";
import { pushSnapshot } from "../dispatcher/client";
import { currentKey, decryptText, encryptText } from "../lib/crypto";
import { errorFields, log } from "../lib/log";

/**
 * Rows one pass reads. A resealed row costs a D1 write and a Durable Object call: 200 rows stay
 * far under the 1,000 subrequests of one (paid-plan) cron invocation, with room for retries.
 */
const RESEAL_BATCH = 200;
/** Tries of one snapshot push: a Durable Object that was resetting answers on the next call. */
const RESEAL_PUSH_ATTEMPTS = 3;
const CURSOR_NAME = "reseal";

const COLUMNS: { column: SealedColumn; field: "secretsEnc" | "headersEnc" | "authEnc" }[] = [
  { column: "secrets_enc", field: "secretsEnc" },
  { column: "headers_enc", field: "headersEnc" },
  { column: "auth_enc", field: "authEnc" },
];

type Row = typeof endpoints.$inferSelect;
type Sealed = Partial<Pick<Row, "secretsEnc" | "headersEnc" | "authEnc">>;

interface ResealResult {
  resealed: number;
  /** Rows of this page no configured key opens (left for the operator). */
  unreadable: number;
  /** Rows whose snapshot could not be pushed: put back as they were, redone by a later pass. */
  push_failed: number;
  /** Rows still not v2 under the current key, in all of D1. */
  remaining: number;
  /** Rows still holding a v1 ciphertext (no associated data), in all of D1. */
  v1_remaining: number;
}

export async function resealEndpoints(env: Env, limit = RESEAL_BATCH): Promise<ResealResult> {
  const db = getDb(env);
  const { kid } = await currentKey(env);
  const prefix = `v2.${kid}.%`;
  const stale = or(
    notLike(endpoints.secretsEnc, prefix),
    and(isNotNull(endpoints.headersEnc), notLike(endpoints.headersEnc, prefix)),
    and(isNotNull(endpoints.authEnc), notLike(endpoints.authEnc, prefix)),
  );
  const after = (await db.select().from(jobCursors).where(eq(jobCursors.name, CURSOR_NAME)).get())?.cursor ?? "";
  const rows = await db
    .select()
    .from(endpoints)
    .where(and(stale, gt(endpoints.id, after)))
    .orderBy(endpoints.id)
    .limit(limit)
    .all();
  const result: ResealResult = { resealed: 0, unreadable: 0, push_failed: 0, remaining: 0, v1_remaining: 0 };
  for (const row of rows) {
    const set = await resealed(env, row, kid);
    if (!set) {
      result.unreadable++;
      continue;
    }
    const updated = await db
      .update(endpoints)
      .set({ ...set, version: nextVersion() })
      .where(and(eq(endpoints.id, row.id), eq(endpoints.version, row.version)))
      .returning()
      .get();
    if (!updated) continue;
    if (await pushWithRetries(env, updated)) {
      result.resealed++;
      continue;
    }
    result.push_failed++;
    await putBack(env, row, updated);
  }
  // The last page wraps to the start: the next lap tries the passed-over rows again.
  const next = rows.length < limit ? "" : rows[rows.length - 1]!.id;
  await db
    .insert(jobCursors)
    .values({ name: CURSOR_NAME, cursor: next, updatedAt: Date.now() })
    .onConflictDoUpdate({ target: jobCursors.name, set: { cursor: next, updatedAt: Date.now() } });
  const v1 = or(
    like(endpoints.secretsEnc, "v1.%"),
    like(endpoints.headersEnc, "v1.%"),
    like(endpoints.authEnc, "v1.%"),
  );
  result.remaining = (await db.select({ n: count() }).from(endpoints).where(stale).get())?.n ?? 0;
  result.v1_remaining = (await db.select({ n: count() }).from(endpoints).where(v1).get())?.n ?? 0;
  if (result.resealed || result.unreadable || result.push_failed) log.info("encryption.reseal", { ...result });
  return result;
}

/** The row's sealed columns under the current key, or null when a configured key does not open one. */
async function resealed(env: Env, row: Row, kid: string): Promise<Sealed | null> {
  const set: Sealed = {};
  try {
    for (const { column, field } of COLUMNS) {
      const stored = row[field];
      if (stored == null || stored.startsWith(`v2.${kid}.`)) continue;
      const context = endpointField(row.id, column);
      set[field] = await encryptText(env, await decryptText(env, stored, context), context);
    }
    return set;
  } catch (err) {
    log.error("encryption.reseal_unreadable", { endpoint_id: row.id, ...errorFields(err) });
    return null;
  }
}

async function pushWithRetries(env: Env, row: Row): Promise<boolean> {
  for (let attempt = 1; attempt <= RESEAL_PUSH_ATTEMPTS; attempt++) {
    try {
      await pushSnapshot(env, row);
      return true;
    } catch (err) {
      log.warn("encryption.reseal_push_failed", { endpoint_id: row.id, attempt, ...errorFields(err) });
    }
  }
  return false;
}

/**
 * The dispatcher kept its old snapshot: the old ciphertexts go back into D1 (version bumped again,
 * only if nothing changed the row since), so D1 counts it stale as long as that copy exists. A
 * change in between pushes its own snapshot, sealed under the current key, and needs nothing.
 */
async function putBack(env: Env, before: Row, updated: Row) {
  try {
    await getDb(env)
      .update(endpoints)
      .set({
        secretsEnc: before.secretsEnc,
        headersEnc: before.headersEnc,
        authEnc: before.authEnc,
        version: nextVersion(),
      })
      .where(and(eq(endpoints.id, before.id), eq(endpoints.version, updated.version)))
      .run();
  } catch (err) {
    // D1 failing too: the dispatcher may hold an old-key copy of a row D1 calls current; it is
    // logged so the operator keeps the old key until the endpoint is next changed.
    log.error("encryption.reseal_put_back_failed", { endpoint_id: before.id, ...errorFields(err) });
  }
}
