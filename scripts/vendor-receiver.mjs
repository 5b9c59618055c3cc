// `npm run receiver:vendor`: a receiver that verifies deliveries the way the seed vendors' example
// Express handlers do: a hex HMAC-SHA256 of the raw body, keyed with the secret string, compared
// with crypto.timingSafeEqual. For trying the README's "Moving a ... integration" sections.
//   WEBHOOK_SECRET   the secret the handler holds (required)
//   SIGNATURE_HEADER the header to check (default X-DocExtract-Signature); PREFIX e.g. "sha256="
//   EXPECT_AUTH      an exact Authorization value to require (e.g. "Basic dXNlcjpwdw==")
//   EXPECT_TOKEN     "Header-Name: value" to require (a static token header)
//   RECEIVER_PORT    default 4001
import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer } from "node:http";

const secret = process.env.WEBHOOK_SECRET;
if (!secret) throw new Error("set WEBHOOK_SECRET to the secret your handler holds");
const header = (process.env.SIGNATURE_HEADER || "X-DocExtract-Signature").toLowerCase();
const prefix = process.env.PREFIX || "";
const port = Number(process.env.RECEIVER_PORT || 4001);
const [tokenName, ...tokenRest] = (process.env.EXPECT_TOKEN || "").split(":");
const tokenValue = tokenRest.join(":").trim();

function verify(rawBody, signature) {
  const expected = Buffer.from(prefix + createHmac("sha256", secret).update(rawBody).digest("hex"));
  const got = Buffer.from(signature || "");
  return expected.length === got.length && timingSafeEqual(expected, got);
}

createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const raw = Buffer.concat(chunks);
    const problems = [];
    if (!verify(raw, req.headers[header])) problems.push(`bad ${header}`);
    if (process.env.EXPECT_AUTH && req.headers.authorization !== process.env.EXPECT_AUTH)
      problems.push("bad authorization");
    if (tokenName && req.headers[tokenName.trim().toLowerCase()] !== tokenValue)
      problems.push(`bad ${tokenName.trim()}`);
    const ok = problems.length === 0;
    console.log(
      `${new Date().toISOString()} ${req.headers["webhook-id"] ?? "?"} attempt ${req.headers["webhook-attempt"] ?? "?"}: ${ok ? "verified ✔" : `REFUSED ✘ (${problems.join(", ")})`} ${raw.toString("utf8").slice(0, 200)}`,
    );
    res.writeHead(ok ? 200 : 401, { "content-type": "application/json" }).end(JSON.stringify({ ok }));
  });
}).listen(port, "127.0.0.1", () =>
  console.log(
    `vendor-style receiver on http://127.0.0.1:${port} checking ${header}${prefix ? ` (prefix ${prefix})` : ""}`,
  ),
);
