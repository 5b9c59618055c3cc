/**
 * The reseal pass of a key rotation (src/lib/crypto.ts): endpoints whose encrypted columns are not
 * yet v2 under the current ENCRYPTION_KEY (sealed under a key now in ENCRYPTION_KEYS_OLD, or v1
 * without associated data) are decrypted and sealed again, a bounded batch per cron run. Each row
 * is written only if its version did not move meanwhile (a concurrent edit wins and is itself sealed
 * under the current key), its version is bumped and its dispatcher gets the new snapshot, so no
 * copy of an old ciphertext outlives the pass. `remaining` counts what is still to do: when it is 0
 * (and `unreadable` is 0), the old keys may be removed.
 */
import { and, eq, isNotNull, notLike, or, count } from "drizzle-orm";
import { getDb } from "../db/client";
import { endpoints } from "../db/schema";
import { currentKey, decryptText, encryptText } from "../lib/crypto";
import { log } from "../lib/log";
import { endpointField, type SealedColumn } from "../attempts/endpoint-snapshot";
import { pushSnapshot } from "../services/endpoints";

export const RESEAL_BATCH = 200;

const COLUMNS: { column: SealedColumn; field: "secretsEnc" | "headersEnc" | "authEnc" }[] = [
  { column: "secrets_enc", field: "secretsEnc" },
  { column: "headers_enc", field: "headersEnc" },
  { column: "auth_enc", field: "authEnc" },
];

export async function resealEndpoints(env: Env, limit = RESEAL_BATCH) {
  const db = getDb(env);
  const { kid } = await currentKey(env);
  const prefix = `v2.${kid}.%`;
  const stale = or(
    notLike(endpoints.secretsEnc, prefix),
    and(isNotNull(endpoints.headersEnc), notLike(endpoints.headersEnc, prefix)),
    and(isNotNull(endpoints.authEnc), notLike(endpoints.authEnc, prefix)),
  );
  const rows = await db.select().from(endpoints).where(stale).limit(limit).all();
  let resealed = 0;
  let unreadable = 0;
  for (const row of rows) {
    const set: Partial<typeof endpoints.$inferInsert> = {};
    try {
      for (const { column, field } of COLUMNS) {
        const stored = row[field];
        if (stored == null || stored.startsWith(`v2.${kid}.`)) continue;
        const context = endpointField(row.id, column);
        set[field] = await encryptText(env, await decryptText(env, stored, context), context);
      }
    } catch (err) {
      // No configured key opens it: leave it for the operator (the attempt records the failure).
      unreadable++;
      log.error("encryption.reseal_unreadable", { endpoint_id: row.id, error: String((err as Error)?.message ?? err) });
      continue;
    }
    const updated = await db
      .update(endpoints)
      .set({ ...set, version: row.version + 1 })
      .where(and(eq(endpoints.id, row.id), eq(endpoints.version, row.version)))
      .returning()
      .get();
    if (!updated) continue;
    resealed++;
    await pushSnapshot(env, updated);
  }
  const left = await db.select({ n: count() }).from(endpoints).where(stale).get();
  const result = { resealed, unreadable, remaining: left?.n ?? 0 };
  if (resealed || unreadable) log.info("encryption.reseal", result);
  return result;
}
