import { z } from "@hono/zod-openapi";
import { Timestamp } from "../common";

export const TaskSchema = z
  .object({
    id: z.string().openapi({ example: "task_01jd0000000000000000000000" }),
    kind: z.enum(["recover", "replay"]),
    tenant_id: z.string(),
    endpoint_id: z
      .string()
      .nullable()
      .openapi({ description: "The endpoint a recover works on; null for a replay (its endpoints are in `params`)." }),
    status: z.enum(["running", "completed", "cancelled"]),
    total: z.number().openapi({ description: "Deliveries re-queued (a replay: the deliveries it sends)." }),
    done: z
      .number()
      .openapi({ description: "Of those, how many have finished (succeeded, failed again or cancelled)." }),
    params: z.record(z.string(), z.unknown()),
    created_at: Timestamp,
  })
  .openapi("Task");
