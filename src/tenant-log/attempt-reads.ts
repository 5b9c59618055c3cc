/**
 * Reading attempts from the two places a TenantLog keeps them: a delivery's first scheduled
 * attempt in the delivery's row (./first-attempt.ts), every other one in `attempts` (found by
 * delivery through ./delivery-attempts.ts). Each read answers attempts rows, headers as stored.
 */
import { and, asc, desc, eq, gte, isNotNull, lt, lte, ne, type SQL } from "drizzle-orm";
import type { DrizzleSqliteDODatabase } from "drizzle-orm/durable-sqlite";
import { deliveryOfFirstAttempt } from "../attempts/first-attempt-id";
import { ofDelivery } from "./delivery-attempts";
import { asAttemptRow, firstAttempts } from "./first-attempt";
import type * as schema from "./schema";
import { attempts } from "./schema";
import { codeClass } from "./status-class";
import type { AttemptFilters, AttemptRow } from "./types";

type Db = DrizzleSqliteDODatabase<typeof schema>;

/** Attempt ids and delivery ids compare alike once the prefix is set aside (both are `xxx_<body>`). */
const asDeliveryId = deliveryOfFirstAttempt;

function firstOf(db: Db, deliveryId: string): AttemptRow | null {
  const row = db.select().from(firstAttempts).where(eq(firstAttempts.deliveryId, deliveryId)).get();
  return row ? asAttemptRow(row) : null;
}

/** A delivery's attempts, oldest first. */
export function attemptsOfDelivery(db: Db, deliveryId: string, byIndex: boolean): AttemptRow[] {
  const rest = db
    .select()
    .from(attempts)
    .where(ofDelivery(deliveryId, byIndex))
    .orderBy(asc(attempts.number), asc(attempts.id))
    .all();
  const first = firstOf(db, deliveryId);
  if (!first) return rest;
  return [first, ...rest].sort((a, b) => a.number - b.number || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** Whether a delivery had an attempt other than a manual one (its lane got this far). */
export function attemptedInTurn(db: Db, deliveryId: string, byIndex: boolean): boolean {
  if (firstOf(db, deliveryId)) return true;
  return (
    db
      .select({ id: attempts.id })
      .from(attempts)
      .where(and(ofDelivery(deliveryId, byIndex), ne(attempts.trigger, "manual")))
      .limit(1)
      .all().length > 0
  );
}

export function attemptById(db: Db, id: string): AttemptRow | null {
  const row = db.select().from(attempts).where(eq(attempts.id, id)).get();
  if (row) return row;
  const first = firstOf(db, asDeliveryId(id));
  return first?.id === id ? first : null;
}

/** The filters both places answer alike, on their own columns. */
function filtersOn(t: typeof attempts | typeof firstAttempts, f: AttemptFilters): SQL[] {
  const out: SQL[] = [];
  if (f.statusCodeClass) out.push(codeClass(t.statusCode, f.statusCodeClass));
  if (f.error) out.push(eq(t.error, f.error as AttemptRow["error"] & string));
  if (f.since !== undefined) out.push(gte(t.startedAt, f.since));
  if (f.until !== undefined) out.push(lte(t.startedAt, f.until));
  if (f.endpointId) out.push(eq(t.endpointId, f.endpointId));
  if (f.eventId) out.push(eq(t.eventId, f.eventId));
  return out;
}

/**
 * A page of attempts, newest (highest id) first: up to `limit + 1` from each place, merged. The
 * first attempts' arm walks the deliveries' primary key, in the same order as their ids.
 */
export function listAttempts(db: Db, f: AttemptFilters, byIndex: boolean): AttemptRow[] {
  const fromTable = db
    .select()
    .from(attempts)
    .where(
      and(
        ...filtersOn(attempts, f),
        ...(f.before ? [lt(attempts.id, f.before)] : []),
        ...(f.deliveryId ? [ofDelivery(f.deliveryId, byIndex)] : []),
      ),
    )
    .orderBy(desc(attempts.id))
    .limit(f.limit + 1)
    .all();

  const t = firstAttempts;
  const first = [
    isNotNull(t.startedAt),
    ...filtersOn(t, f),
    ...(f.before ? [lt(t.deliveryId, asDeliveryId(f.before))] : []),
    ...(f.deliveryId ? [eq(t.deliveryId, f.deliveryId)] : []),
  ];
  const inRows = db
    .select()
    .from(t)
    .where(and(...first))
    .orderBy(desc(t.deliveryId))
    .limit(f.limit + 1)
    .all()
    .flatMap((r) => asAttemptRow(r) ?? []);

  return [...fromTable, ...inRows].sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0)).slice(0, f.limit + 1);
}
