// The baseline for `npm run bench`: the least a Hono Worker can do for an ingest request (read
// the JSON body, answer 202). Edgehooks' ingest figures are reported as ratios to this one,
// measured in the same run on the same machine.
import { Hono } from "hono";

const app = new Hono();
app.post("*", async (c) => {
  await c.req.json();
  return c.json({ accepted: true }, 202);
});

export default app;
