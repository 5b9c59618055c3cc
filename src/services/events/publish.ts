/**
 * Publishing: what a producer's POST of one event or a batch does. Each event's `data` is checked
 * against its type's JSON Schema in the catalog (422 naming each mismatch), then ingested
 * (src/services/events/ingest.ts: durable, idempotent, fan-out queued). A batch judges each event
 * on its own, so one bad event does not refuse the others; only a batch with no valid event at all
 * is refused as a whole.
 */
import type { TraceContext } from "../../delivery/trace-context";
import { ApiError, type ErrorIssue } from "../../errors";
import type { ServiceCtx } from "../context";
import { validateAgainstCatalog } from "../event-types";
import { type IngestInput, idempotencyConflict, ingestEvent, ingestEvents } from "./ingest";
import type { EventRow } from "./view";

interface Published {
  event: EventRow;
  /** False when an idempotent repeat answered an existing event. */
  created: boolean;
  /** The type is deprecated in the catalog (the event is accepted all the same). */
  deprecated: boolean;
}

/** One event: a schema mismatch is 422, a reused idempotency key with a different body 409. */
export async function publishEvent(
  ctx: ServiceCtx,
  tenantId: string,
  input: IngestInput,
  idempotencyHeader?: string,
  trace?: TraceContext | null,
): Promise<Published> {
  const [check] = await validateAgainstCatalog(ctx, [input]);
  if (check!.issues.length)
    throw new ApiError("unprocessable", `data does not match the schema of '${input.type}'`, check!.issues);
  const result = await ingestEvent(ctx, tenantId, input, idempotencyHeader, trace);
  return { ...result, deprecated: check!.deprecated };
}

/** A batch item as the caller's validation left it: the event's input, or why its shape is wrong. */
export type BatchItem = { input: IngestInput } | { invalid: ErrorIssue[] };

interface BatchError {
  code: "bad_request" | "unprocessable" | "conflict";
  message: string;
  issues: ErrorIssue[];
}

/** Per item, in order: its error, or the event stored for it. */
type BatchAnswer = { error: BatchError } | { event: EventRow; deprecated: boolean };

/**
 * A batch: each item is judged alone (a shape error is 400-like, a schema mismatch 422-like, a
 * time past the retention 400-like, a reused key 409-like) and the valid ones are ingested in one
 * call. Throws 400 naming every item's issues when no item is valid.
 */
export async function publishBatch(
  ctx: ServiceCtx,
  tenantId: string,
  items: BatchItem[],
  trace: TraceContext | null,
): Promise<BatchAnswer[]> {
  const checks = await validateAgainstCatalog(
    ctx,
    items.map((item) => ("input" in item ? item.input : { type: "", data: null })),
  );
  const errors = items.map((item, i): BatchError | null =>
    "invalid" in item
      ? { code: "bad_request", message: "invalid event", issues: item.invalid }
      : checks[i]!.issues.length
        ? {
            code: "unprocessable",
            message: `data does not match the schema of '${item.input.type}'`,
            issues: checks[i]!.issues,
          }
        : null,
  );
  const valid = items.flatMap((item, i) => ("input" in item && !errors[i] ? [{ i, input: item.input }] : []));
  if (!valid.length) {
    const issues = errors.flatMap((e, i) =>
      (e?.issues ?? []).map((x) => ({ path: `events.${i}${x.path ? `.${x.path}` : ""}`, message: x.message })),
    );
    throw new ApiError("bad_request", "no valid event in the batch", issues);
  }
  const ingested = await ingestEvents(
    ctx,
    tenantId,
    valid.map((v) => ({ input: v.input, trace })),
  );
  const byIndex = new Map(valid.map((v, k) => [v.i, ingested[k]!]));
  return items.map((_, i): BatchAnswer => {
    const error = errors[i];
    if (error) return { error };
    const stored = byIndex.get(i)!;
    if ("invalid" in stored)
      return { error: { code: "bad_request", message: "invalid event", issues: stored.invalid } };
    if ("conflict" in stored) {
      const e = idempotencyConflict(stored.conflict);
      return { error: { code: "conflict", message: e.message, issues: e.issues ?? [] } };
    }
    return { event: stored.event, deprecated: checks[i]!.deprecated };
  });
}
