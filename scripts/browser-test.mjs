// `npm run test:browser`: drives the customer portal in Debian's Chromium (playwright-core)
// against the real service under `wrangler dev`, with a real receiver on 127.0.0.1.
// Needs /usr/bin/chromium (`apt-get install -y chromium`; .ci/run installs it).
// Prints `browser: N passed, N failed` last and exits non-zero on any failure.
// BROWSER_SPECS=replays (a comma list of portal, vendors, replays, unbranded) runs only those.
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run, runUnbranded } from "../test/browser/portal.spec.mjs";
import { run as runReplays } from "../test/browser/replays.spec.mjs";
import { run as runVendors } from "../test/browser/vendors.spec.mjs";

const SPECS = (process.env.BROWSER_SPECS ?? "portal,vendors,replays,unbranded").split(",");
const none = async () => ({ passed: 0, failed: 0 });
/** A spec's run, or nothing when BROWSER_SPECS leaves it out. */
const spec = (name, fn) => (SPECS.includes(name) ? fn : none);

const env = {
  ...process.env,
  WRANGLER_SEND_METRICS: "false",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
  WRANGLER_HIDE_BANNER: "true",
  CI: "true",
};
const state = mkdtempSync(join(tmpdir(), "edgehooks-browser-"));
// A second deployment without the portal's branding settings, on a state of its own.
const plainState = mkdtempSync(join(tmpdir(), "edgehooks-browser-plain-"));
const shots = join(process.cwd(), "test-results", "screenshots");
mkdirSync(shots, { recursive: true });
const rootKey = `ek_root_${randomBytes(24).toString("base64url")}`;
const children = [];

function freePort() {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** A receiver that records each request; paths with /fail-once answer 500 the first time. */
function startReceiver(port) {
  const received = [];
  const failedOnce = new Set();
  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      received.push({ path: req.url, headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
      let status = 200;
      if (req.url.includes("/fail-once") && !failedOnce.has(req.url)) {
        failedOnce.add(req.url);
        status = 500;
      }
      res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify({ ok: status === 200 }));
    });
  });
  return new Promise((resolve) => server.listen(port, "127.0.0.1", () => resolve({ server, received })));
}

const escapeHtml = (s) => String(s).replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

/**
 * Another site: a vendor dashboard that frames the portal (/embed?src=<portal link>), serves the
 * brand logo (/logo.svg), and a hostile page that posts a form to the portal (/attack: a logout, a login).
 */
function startSite(port) {
  const server = createServer((req, res) => {
    const url = new URL(req.url, `http://${req.headers.host}`);
    if (url.pathname === "/logo.svg") {
      res
        .writeHead(200, { "content-type": "image/svg+xml" })
        .end(
          '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><rect width="64" height="64" rx="12" fill="#0a7d55"/><path d="M16 34l10 10 22-24" stroke="#fff" stroke-width="7" fill="none"/></svg>',
        );
      return;
    }
    if (url.pathname === "/embed") {
      const src = escapeHtml(url.searchParams.get("src") ?? "");
      res
        .writeHead(200, { "content-type": "text/html; charset=utf-8" })
        .end(
          `<!doctype html><html><head><title>Vendor dashboard</title><style>body{font:15px system-ui;margin:0;background:#eef1f5}nav{background:#3b2a6b;color:#fff;padding:1rem 1.5rem;font-weight:600}main{padding:1.5rem}iframe{width:100%;height:720px;border:1px solid #c9cfd8;border-radius:10px;background:#fff}</style></head>` +
            `<body><nav>Vendor dashboard · Settings › Webhooks</nav><main><p>Your webhook endpoints, managed right here:</p><iframe id="portal" title="Webhooks portal" src="${src}"></iframe></main></body></html>`,
        );
      return;
    }
    if (url.pathname === "/attack") {
      // Every other query parameter becomes a hidden field (`_csrf` for the logout, `code` for a login).
      const target = escapeHtml(url.searchParams.get("target") ?? "");
      const fields = [...url.searchParams]
        .filter(([name]) => name !== "target")
        .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
        .join("");
      res
        .writeHead(200, { "content-type": "text/html; charset=utf-8" })
        .end(
          `<!doctype html><html><body><h1>You won a prize</h1><form method="post" action="${target}">${fields}</form><script>document.forms[0].submit()</script></body></html>`,
        );
      return;
    }
    res.writeHead(404).end();
  });
  return new Promise((resolve) => server.listen(port, "127.0.0.1", () => resolve(server)));
}

async function waitFor(url, ms) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`service did not answer at ${url} within ${ms} ms`);
}

function cleanup() {
  for (const child of children) {
    try {
      process.kill(-child.pid, "SIGTERM");
    } catch {}
  }
  rmSync(state, { recursive: true, force: true });
  rmSync(plainState, { recursive: true, force: true });
}

/** `wrangler dev` on `port` over a migrated local state, with `vars`; answers its base URL once it serves. */
async function startDev(port, dir, vars) {
  const migrate = spawnSync("npx", ["wrangler", "d1", "migrations", "apply", "DB", "--local", "--persist-to", dir], {
    env,
    stdio: ["ignore", "ignore", "inherit"],
  });
  if (migrate.status !== 0) throw new Error("migrations failed");
  const dev = spawn(
    "npx",
    [
      "wrangler",
      "dev",
      "--port",
      String(port),
      "--ip",
      "127.0.0.1",
      "--persist-to",
      dir,
      ...Object.entries(vars).flatMap(([k, v]) => ["--var", `${k}:${v}`]),
    ],
    { env, stdio: ["ignore", "ignore", "inherit"], detached: true },
  );
  children.push(dev);
  const base = `http://127.0.0.1:${port}`;
  await waitFor(`${base}/`, 90_000);
  return { base, dev };
}
process.on("SIGINT", () => {
  cleanup();
  process.exit(130);
});

let failures = 1;
let results = { passed: 0, failed: 1 };
let receiver;
const sites = [];
try {
  const [port, receiverPort, embedderPort, strangerPort] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  receiver = await startReceiver(receiverPort);
  sites.push(await startSite(embedderPort), await startSite(strangerPort));
  // The embedder is reached as `localhost`, another site than the portal's 127.0.0.1, so its
  // iframe needs the SameSite=None; Partitioned cookie; the stranger is only another origin.
  const embedder = `http://localhost:${embedderPort}`;
  const stranger = `http://127.0.0.1:${strangerPort}`;
  const vars = {
    ROOT_API_KEY: rootKey,
    ENCRYPTION_KEY: randomBytes(32).toString("base64"),
    ALLOW_HTTP_URLS: "true",
    ALLOW_PRIVATE_URLS: "true",
    LOG_LEVEL: "warn",
    PORTAL_FRAME_ANCESTORS: embedder,
    PORTAL_BRAND_NAME: "Acme Hooks",
    PORTAL_LOGO_URL: `${embedder}/logo.svg`,
    PORTAL_ACCENT_COLOR: "#0a7d55",
  };
  const branded = await startDev(port, state, vars);
  const base = branded.base;
  results = await spec(
    "portal",
    run,
  )({
    base,
    rootKey,
    receiverBase: `http://127.0.0.1:${receiverPort}`,
    received: receiver.received,
    shots,
    embedder,
    stranger,
  });
  const vendors = await spec(
    "vendors",
    runVendors,
  )({
    base,
    rootKey,
    receiverBase: `http://127.0.0.1:${receiverPort}`,
    received: receiver.received,
    shots,
  });
  const replays = await spec(
    "replays",
    runReplays,
  )({
    base,
    rootKey,
    receiverBase: `http://127.0.0.1:${receiverPort}`,
    received: receiver.received,
    shots,
  });
  results = {
    passed: results.passed + vendors.passed + replays.passed,
    failed: results.failed + vendors.failed + replays.failed,
  };
  // The header without PORTAL_BRAND_NAME (nor logo or accent): the default name, once. The branded
  // deployment stops first, so two workerd never share the machine.
  process.kill(-branded.dev.pid, "SIGTERM");
  if (SPECS.includes("unbranded")) {
    const plainVars = Object.fromEntries(Object.entries(vars).filter(([k]) => !k.startsWith("PORTAL_")));
    const plain = await startDev(await freePort(), plainState, plainVars);
    const unbranded = await runUnbranded({ base: plain.base, rootKey, shots });
    process.kill(-plain.dev.pid, "SIGTERM");
    results = { passed: results.passed + unbranded.passed, failed: results.failed + unbranded.failed };
  }
  failures = results.failed;
} catch (err) {
  console.error(err);
} finally {
  receiver?.server.close();
  for (const site of sites) site.close();
  cleanup();
}
console.log(`browser: ${results.passed} passed, ${results.failed} failed`);
process.exit(failures ? 1 : 0);
