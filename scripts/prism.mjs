// `npm run openapi:prism`: Stoplight Prism as a validating proxy in front of a running service
// (`npm start`), the quickstart and a dozen error cases sent through it, and every response
// violation Prism reports (its `sl-violations` header) printed. Exits 1 if there is any.
// Request violations are expected for the error cases (they are bad requests on purpose) and are
// only counted. SERVICE_URL (default http://127.0.0.1:$PORT), PRISM_PORT (default 8859).
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";

const service = process.env.SERVICE_URL || `http://127.0.0.1:${process.env.PORT || 8787}`;
const prismPort = Number(process.env.PRISM_PORT || 8859);
const key = process.env.EDGEHOOKS_API_KEY || /^ROOT_API_KEY=(\S+)/m.exec(readFileSync(".dev.vars", "utf8"))?.[1];
const proxy = `http://127.0.0.1:${prismPort}`;

const prism = spawn(
  "npx",
  [
    "-y",
    "@stoplight/prism-cli@5.16.0",
    "proxy",
    `${service}/openapi.json`,
    service,
    "--port",
    String(prismPort),
    "--host",
    "127.0.0.1",
  ],
  {
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  },
);
let prismLog = "";
prism.stdout.on("data", (d) => (prismLog += d));
prism.stderr.on("data", (d) => (prismLog += d));
const stop = () => {
  try {
    process.kill(-prism.pid, "SIGTERM");
  } catch {}
};
process.on("exit", stop);

for (let i = 0; ; i++) {
  try {
    await fetch(`${proxy}/v1/tenants`, { headers: { authorization: `Bearer ${key}` } });
    break;
  } catch {
    if (i > 240) {
      console.error(`Prism did not start:\n${prismLog}`);
      process.exit(1);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

const results = [];
async function call(label, method, path, { body, raw, auth = key, headers = {} } = {}) {
  const h = { ...headers };
  if (auth) h.authorization = `Bearer ${auth}`;
  if (body !== undefined || raw !== undefined) h["content-type"] ??= "application/json";
  const res = await fetch(`${proxy}${path}`, {
    method,
    headers: h,
    body: raw ?? (body === undefined ? undefined : JSON.stringify(body)),
  });
  const text = await res.text();
  const violations = JSON.parse(res.headers.get("sl-violations") || "[]");
  const response = violations.filter((v) => v.location?.[0] === "response");
  results.push({ label, status: res.status, request: violations.length - response.length, response });
  console.log(
    `${response.length ? "✘" : "✔"} ${String(res.status).padEnd(3)} ${label}${response.length ? `\n    ${response.map((v) => `${v.location.join(".")}: ${v.message}`).join("\n    ")}` : ""}`,
  );
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

const t = `prism_${Date.now().toString(36)}`;
await call("create a tenant", "POST", "/v1/tenants", { body: { id: t, name: "Acme" } });
const ep = await call("create an endpoint", "POST", `/v1/tenants/${t}/endpoints`, {
  body: { url: "http://127.0.0.1:4000/webhooks", event_types: ["job.*"], filter: { "data.pages": { $gte: 1 } } },
});
const ev = await call("post an event", "POST", `/v1/tenants/${t}/events`, {
  body: { type: "job.completed", data: { job_id: "job_123", pages: 3 } },
  headers: { "idempotency-key": "job_123-done" },
});
await call("post a batch", "POST", `/v1/tenants/${t}/events/batch`, {
  body: {
    events: [
      { type: "job.completed", data: {} },
      { type: "bad type", data: {} },
    ],
  },
});
await new Promise((r) => setTimeout(r, 1500));
const list = await call("list deliveries", "GET", `/v1/tenants/${t}/deliveries`);
if (list?.data?.[0])
  await call("get a delivery with its attempts", "GET", `/v1/tenants/${t}/deliveries/${list.data[0].id}`);
await call("get the event", "GET", `/v1/tenants/${t}/events/${ev.id}`);
await call("PATCH filter null", "PATCH", `/v1/tenants/${t}/endpoints/${ep.id}`, {
  body: { filter: null, rate_limit_per_s: null },
});
await call("list endpoints", "GET", `/v1/tenants/${t}/endpoints?limit=5`);
// Error cases.
await call("401 no key", "GET", "/v1/tenants", { auth: null });
await call("401 wrong key", "GET", "/v1/tenants", { auth: "ek_wrong" });
await call("404 unknown tenant", "GET", "/v1/tenants/org_nope");
await call("404 unknown endpoint", "GET", `/v1/tenants/${t}/endpoints/ep_00000000000000000000000000`);
await call("400 unknown field", "POST", `/v1/tenants/${t}/endpoints`, {
  body: { url: "http://127.0.0.1:4000/x", event_type: ["job.*"] },
});
await call("400 bad limit", "GET", `/v1/tenants/${t}/events?limit=0`);
await call("400 bad cursor", "GET", `/v1/tenants/${t}/events?cursor=nope`);
await call("415 non-JSON body", "POST", `/v1/tenants/${t}/events`, {
  raw: "type=job.completed",
  headers: { "content-type": "text/plain" },
});
await call("413 body over 1 MiB", "POST", `/v1/tenants/${t}/events`, {
  body: { type: "a.b", data: "x".repeat(1024 * 1024) },
});
await call("409 tenant exists", "POST", "/v1/tenants", { body: { id: t, name: "again" } });
const reader = await call("create a read-only key", "POST", "/v1/api-keys", {
  body: { name: "reader", scopes: ["read"] },
});
await call("403 read key creates a tenant", "POST", "/v1/tenants", { body: { name: "x" }, auth: reader.key });
const typeName = `prism.t${Date.now().toString(36)}`;
await call("create a typed event type", "POST", "/v1/event-types", {
  body: { name: typeName, schema: { type: "object", required: ["n"] } },
});
await call("422 data does not match the schema", "POST", `/v1/tenants/${t}/events`, {
  body: { type: typeName, data: {} },
});
if (list?.data?.[0]) {
  await call("cancel a delivery", "POST", `/v1/tenants/${t}/deliveries/${list.data[0].id}/cancel`);
  await call("409 cancel it again", "POST", `/v1/tenants/${t}/deliveries/${list.data[0].id}/cancel`);
}

const bad = results.filter((r) => r.response.length);
console.log(
  `\nprism: ${results.length} requests, ${bad.length} with response violations, ${results.reduce((n, r) => n + r.request, 0)} request violations (expected on the bad requests)`,
);
stop();
process.exit(bad.length ? 1 : 0);
