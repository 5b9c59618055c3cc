import { z } from "@hono/zod-openapi";
import { EVENT_TYPE_PATTERN } from "../../delivery/match";
import { REPLAY_MAX_ENDPOINT_IDS } from "../../services/replays";
import { REPLAY_MODES, REPLAY_STATUSES } from "../../tenant-log/replay-query";
import { idField, TimestampInput } from "../common";

/** Event types or patterns one replay may name; more is a filter better written as a pattern. */
const REPLAY_MAX_EVENT_TYPES = 50;

export const ReplayInput = z
  .strictObject({
    mode: z.enum(REPLAY_MODES).openapi({
      description:
        "`retry`: send again the existing deliveries that match (final ones: `succeeded`, `failed`, `cancelled`). `missing`: create the deliveries an endpoint never got for events that match its subscription now (it was disabled, or did not exist yet).",
    }),
    endpoint_ids: z
      .array(idField("ep"))
      .min(1)
      .max(REPLAY_MAX_ENDPOINT_IDS)
      .optional()
      .openapi({ description: "Only these endpoints (each active). Absent: every active endpoint of the tenant." }),
    event_types: z
      .array(z.string().max(200).regex(EVENT_TYPE_PATTERN, "an event type or a pattern like job.*"))
      .min(1)
      .max(REPLAY_MAX_EVENT_TYPES)
      .optional()
      .openapi({ description: "Only events of these types; `job.*` matches every type under `job.`." }),
    statuses: z.array(z.enum(REPLAY_STATUSES)).min(1).optional().openapi({
      description:
        "`retry` only: deliveries in these statuses (default all three). Open deliveries are on their way already.",
    }),
    status_class: z.enum(["2xx", "3xx", "4xx", "5xx", "none"]).optional().openapi({
      description:
        "`retry` only: deliveries whose last HTTP answer was of this class; `none`: the last attempt got no answer.",
    }),
    channel: z.string().min(1).max(128).optional().openapi({ description: "Only events on this channel." }),
    since: TimestampInput.openapi({ description: "Events created at or after this." }),
    until: TimestampInput.optional().openapi({
      description: "…and at or before this (default now); at most 7 days after `since`.",
    }),
    dry_run: z.boolean().optional().openapi({ description: "Answer the plan (what would be sent) and send nothing." }),
  })
  .superRefine((v, ctx) => {
    if (v.mode === "missing") {
      for (const field of ["statuses", "status_class"] as const)
        if (v[field] !== undefined)
          ctx.addIssue({
            code: "custom",
            path: [field],
            message: "filters existing deliveries: only with mode `retry`",
          });
    }
  })
  .openapi("ReplayInput");

export const ReplayPlanSchema = z
  .object({
    mode: z.enum(REPLAY_MODES),
    total: z.number().openapi({ description: "Deliveries the replay would send." }),
    by_endpoint: z.array(z.object({ endpoint_id: z.string(), count: z.number() })),
    by_status: z.record(z.string(), z.number()).openapi({
      description: "Per status of the delivery sent again (`retry`), or `missing`.",
      example: { failed: 12, succeeded: 3 },
    }),
    truncated: z
      .boolean()
      .openapi({ description: "More matched than one replay sends (10,000): replay the rest with a later `since`." }),
  })
  .openapi("ReplayPlan");
