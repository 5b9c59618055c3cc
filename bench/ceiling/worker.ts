// The delivery ceiling for `npm run bench`: the least a Worker can do to deliver webhooks from a
// queue. POST /send {base, endpoints, events} queues one message per (event, endpoint) in
// batches of 100; the consumer posts each message's body straight to its URL and acks. No
// database, no Durable Object, no signing, no log: Edgehooks' delivery figures are reported as
// ratios to this one, measured in the same run on the same machine, as bench/baseline is for ingest.
interface Env {
  DELIVERIES: Queue<Delivery>;
}

interface Delivery {
  url: string;
  id: string;
  body: string;
}

export default {
  async fetch(req: Request, env: Env): Promise<Response> {
    if (req.method !== "POST") return new Response("ceiling", { status: 200 });
    const { base, endpoints, events, tag } = (await req.json()) as {
      base: string;
      endpoints: number;
      events: number;
      tag: string;
    };
    const all: Delivery[] = [];
    for (let e = 0; e < events; e++) {
      const id = `evt_${tag}_${e}`;
      const body = JSON.stringify({ id, type: "bench.event", data: { n: e } });
      for (let i = 0; i < endpoints; i++) all.push({ url: `${base}/ceiling-${tag}/${i}`, id, body });
    }
    for (let i = 0; i < all.length; i += 100)
      await env.DELIVERIES.sendBatch(all.slice(i, i + 100).map((body) => ({ body, contentType: "json" })));
    return Response.json({ queued: all.length }, { status: 202 });
  },

  async queue(batch: MessageBatch<Delivery>): Promise<void> {
    await Promise.all(
      batch.messages.map(async (msg) => {
        try {
          const res = await fetch(msg.body.url, {
            method: "POST",
            headers: { "content-type": "application/json", "webhook-id": msg.body.id },
            body: msg.body.body,
          });
          await res.arrayBuffer();
          if (res.ok) msg.ack();
          else msg.retry();
        } catch {
          msg.retry();
        }
      }),
    );
  },
} satisfies ExportedHandler<Env, Delivery>;
