/**
 * A real HTTP receiver on 127.0.0.1 for the whole test run. Workers and Durable Objects under test
 * deliver to it over real sockets; tests read what arrived and script answers through /_control.
 *
 *   POST /_control/script  { path, responses: [{ status?, headers?, body?, hang? }] }  answers in order, then 200
 *   GET  /_control/received?path=/x                                                 what /x received
 *   POST /_control/release { path }                                                  answers every request held at /held/... path
 *   GET  /_control/held?path=/held/x      { held, max }: requests waiting there now, and the most that ever waited at once
 *   GET  /_control/count?path=/x                       { requests, ids }: how many, and distinct webhook-ids
 *   Any other path: the scripted answer, else `/status/<code>/...` answers <code>, `/sized/<code>/<bytes>/...`
 *   answers <code> with a body of <bytes> bytes, `/held/...` waits for a release, `/hang/...`
 *   never answers, anything else 200 {"ok":true}.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  interface ProvidedContext {
    receiverPort: number;
  }
}

interface Scripted {
  status?: number;
  headers?: Record<string, string>;
  body?: string;
  hang?: boolean;
}

interface Received {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
  at: number;
}

export default async function setup({ provide }: TestProject) {
  const scripts = new Map<string, Scripted[]>();
  const received = new Map<string, Received[]>();
  const hanging = new Set<ServerResponse>();
  // Requests held until a test releases them, per path, and the most held at once: a test counts
  // concurrent requests at the receiver without timing anything.
  const held = new Map<string, { waiting: ServerResponse[]; max: number }>();

  const readBody = (req: IncomingMessage) =>
    new Promise<string>((resolve) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
      req.on("error", () => resolve(Buffer.concat(chunks).toString("utf8")));
    });

  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const body = await readBody(req);
    if (url.pathname === "/_control/script") {
      const { path, responses } = JSON.parse(body) as { path: string; responses: Scripted[] };
      scripts.set(path, [...responses]);
      res.writeHead(204).end();
      return;
    }
    if (url.pathname === "/_control/received") {
      const path = url.searchParams.get("path") ?? "";
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(received.get(path) ?? []));
      return;
    }
    if (url.pathname === "/_control/release") {
      const { path } = JSON.parse(body) as { path: string };
      const h = held.get(path);
      for (const r of h?.waiting.splice(0) ?? [])
        r.writeHead(200, { "content-type": "application/json" }).end('{"ok":true}');
      res.writeHead(204).end();
      return;
    }
    if (url.pathname === "/_control/held") {
      const h = held.get(url.searchParams.get("path") ?? "");
      res
        .writeHead(200, { "content-type": "application/json" })
        .end(JSON.stringify({ held: h?.waiting.length ?? 0, max: h?.max ?? 0 }));
      return;
    }
    if (url.pathname === "/_control/count") {
      // For tests that deliver thousands of large bodies: a count, not megabytes of JSON per poll.
      const list = received.get(url.searchParams.get("path") ?? "") ?? [];
      const ids = new Set(list.map((r) => r.headers["webhook-id"]));
      res
        .writeHead(200, { "content-type": "application/json" })
        .end(JSON.stringify({ requests: list.length, ids: ids.size }));
      return;
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers[k] = v;
    const list = received.get(url.pathname) ?? [];
    list.push({ method: req.method ?? "", path: url.pathname, headers, body, at: Date.now() });
    received.set(url.pathname, list);

    if (url.pathname.startsWith("/held/")) {
      const h = held.get(url.pathname) ?? { waiting: [], max: 0 };
      held.set(url.pathname, h);
      h.waiting.push(res);
      h.max = Math.max(h.max, h.waiting.length);
      res.on("close", () => {
        const i = h.waiting.indexOf(res);
        if (i >= 0) h.waiting.splice(i, 1);
      });
      return;
    }
    const sized = /^\/sized\/(\d{3})\/(\d+)\//.exec(url.pathname);
    if (sized) {
      res.writeHead(Number(sized[1]), { "content-type": "text/plain" }).end("x".repeat(Number(sized[2])));
      return;
    }
    const next = scripts.get(url.pathname)?.shift();
    const status = /^\/status\/(\d{3})\b/.exec(url.pathname)?.[1];
    if (next?.hang || (!next && url.pathname.startsWith("/hang/"))) {
      hanging.add(res);
      res.on("close", () => hanging.delete(res));
      return;
    }
    const code = next?.status ?? (status ? Number(status) : 200);
    res.writeHead(code, { "content-type": "application/json", ...(next?.headers ?? {}) });
    res.end(next?.body ?? JSON.stringify({ ok: code < 300 }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const address = server.address();
  provide("receiverPort", typeof address === "object" && address ? address.port : 0);
  return () =>
    new Promise<void>((resolve) => {
      for (const res of hanging) res.destroy();
      for (const h of held.values()) for (const res of h.waiting) res.destroy();
      server.closeAllConnections();
      server.close(() => resolve());
    });
}
