// `npm run receiver`: a local webhook receiver that verifies each delivery's signature with the
// `standardwebhooks` library and prints it. WEBHOOK_SECRET=whsec_... enables verification.
// RECEIVER_PORT (default 4000). For trying failure handling: FAIL_FIRST=N answers 500 to the
// first N requests; STATUS=code always answers that code.
import { createServer } from "node:http";
import { Webhook } from "standardwebhooks";

const port = Number(process.env.RECEIVER_PORT || 4000);
const secret = process.env.WEBHOOK_SECRET || "";
const failFirst = Number(process.env.FAIL_FIRST || 0);
const fixedStatus = process.env.STATUS ? Number(process.env.STATUS) : null;
const verifier = secret ? new Webhook(secret) : null;
let count = 0;
let last = null;

const server = createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    count += 1;
    const now = Date.now();
    const body = Buffer.concat(chunks).toString("utf8");
    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(", ") : (v ?? "")]));
    let verdict = "unverified (set WEBHOOK_SECRET to verify)";
    let verified = null;
    if (verifier) {
      try {
        verifier.verify(body, headers);
        verified = true;
        verdict = "signature verified ✔";
      } catch (err) {
        verified = false;
        verdict = `signature INVALID ✘ (${err.message})`;
      }
    }
    let pretty = body;
    let type = "?";
    try {
      const parsed = JSON.parse(body);
      type = parsed.type ?? parsed.event ?? parsed.data?.attributes?.event_type ?? "?";
      pretty = JSON.stringify(parsed, null, 2);
    } catch {}
    if (pretty.length > 2048) pretty = `${pretty.slice(0, 2048)}\n… (${pretty.length} bytes)`;
    let status = verified === false ? 401 : 200;
    if (fixedStatus) status = fixedStatus;
    else if (count <= failFirst) status = 500;
    const gap = last === null ? "" : ` (+${((now - last) / 1000).toFixed(2)} s)`;
    last = now;
    console.log(
      [
        `── #${count} ${new Date(now).toISOString()}${gap} ${req.method} ${req.url}`,
        `   webhook-id: ${headers["webhook-id"] ?? "-"}   attempt: ${headers["webhook-attempt"] ?? "-"}   type: ${type}`,
        `   ${verdict}   → answering ${status}`,
        pretty.replace(/^/gm, "   "),
      ].join("\n"),
    );
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify({ ok: status < 300 }));
  });
});

server.listen(port, "127.0.0.1", () => {
  console.log(`Receiver listening on http://127.0.0.1:${port} — point an endpoint at http://127.0.0.1:${port}/webhooks`);
  if (!secret) console.log("WEBHOOK_SECRET is not set: deliveries are printed but not verified.");
  if (failFirst) console.log(`Answering 500 to the first ${failFirst} request(s).`);
});
process.on("SIGINT", () => server.close(() => process.exit(0)));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
