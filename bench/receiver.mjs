// The bench's receiver: answers 204 as fast as Node can, counts, and timestamps each arrival by
// (endpoint path, webhook-id). Runs as its own process so the load generator does not share its
// event loop. Control: GET /_stats (counts and arrivals), POST /_reset {"failFirst": bool,
// "chaos": {...}}. With failFirst, the first arrival of each (path, id) answers 500.
// With chaos, answers are drawn from a seeded generator: 500s, answers slower than the
// endpoint's timeout, dropped connections.
import { createServer } from "node:http";

const port = Number(process.argv[2] || process.env.RECEIVER_PORT || 4100);
let state;

function reset(options = {}) {
  state = {
    count: 0,
    arrivals: new Map(),
    failFirst: Boolean(options.failFirst),
    chaos: options.chaos ?? null,
    rng: seeded(options.chaos?.seed ?? 1),
  };
}
reset();

// mulberry32: a small seeded PRNG, so a chaos run can be repeated exactly.
function seeded(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function json(res, status, body) {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

const server = createServer((req, res) => {
  // One connection per request, closed after the answer. Measured: the local workerd opens a new
  // connection for nearly every attempt (each Durable Object has its own pool), so a receiver that
  // keeps them alive leaves ~10,000 idle sockets after 10,000 first attempts; the process reaches
  // its 20,000 file descriptors and SQLite files fail to open (SQLITE_CANTOPEN: failed outbox
  // flushes, late retries, 500s on log reads). The ceiling posts to this same receiver.
  res.shouldKeepAlive = false;
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    if (req.url === "/_stats") {
      return json(res, 200, { count: state.count, arrivals: Object.fromEntries(state.arrivals) });
    }
    if (req.url === "/_reset") {
      reset(chunks.length ? JSON.parse(Buffer.concat(chunks).toString("utf8")) : {});
      return json(res, 200, { ok: true });
    }
    const now = performance.timeOrigin + performance.now();
    state.count += 1;
    const key = `${req.url}|${req.headers["webhook-id"] ?? ""}`;
    const seen = state.arrivals.get(key);
    const first = !seen;
    // Each arrival: [receive time ms, answered status]. The first 2xx is the one that counts.
    const record = (status) => {
      const entry = [now, status];
      if (seen) seen.push(entry);
      else state.arrivals.set(key, [entry]);
    };
    if (state.failFirst && first) {
      record(500);
      res.writeHead(500).end();
      return;
    }
    if (state.chaos) {
      const r = state.rng();
      const { p500 = 0, pSlow = 0, pDrop = 0, slowMs = 3000 } = state.chaos;
      if (r < p500) {
        record(500);
        res.writeHead(500).end();
        return;
      }
      if (r < p500 + pSlow) {
        record(-1); // answered after the sender's timeout: the sender records a timeout
        setTimeout(() => res.writeHead(204).end(), slowMs);
        return;
      }
      if (r < p500 + pSlow + pDrop) {
        record(0);
        req.socket.destroy();
        return;
      }
    }
    record(204);
    res.writeHead(204).end();
  });
});
server.keepAliveTimeout = 5_000;
// Node's default accept backlog (511) can overflow when a thousand dispatchers connect at once; a
// dropped SYN is retried a second later, and the bench would count that second against us.
server.listen({ port, host: "127.0.0.1", backlog: 4096 }, () =>
  console.log(`bench receiver on http://127.0.0.1:${port}`),
);
