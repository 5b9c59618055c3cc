// `npm run setup`: everything a first `wrangler deploy` needs on a Cloudflare account, idempotent.
// Creates the D1 database (and writes its id into wrangler.toml), the queues, applies the
// migrations remotely, and sets ROOT_API_KEY and ENCRYPTION_KEY when they are not set yet. The
// root key is printed once and written nowhere. Run `npx wrangler login` first.
// WRANGLER overrides the command (default `npx wrangler`): the tests run this against a stub.
// `--config path` picks another wrangler.toml.
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";

const args = process.argv.slice(2);
const config = args.includes("--config") ? args[args.indexOf("--config") + 1] : "wrangler.toml";
const [cmd, ...cmdArgs] = (process.env.WRANGLER || "npx wrangler").split(" ");
const env = { ...process.env, WRANGLER_SEND_METRICS: "false", WRANGLER_HIDE_BANNER: "true" };
const PLACEHOLDER_ID = "00000000-0000-0000-0000-000000000000";

function wrangler(argv, { input, allowFail = false } = {}) {
  const r = spawnSync(cmd, [...cmdArgs, ...argv, "-c", config], {
    env,
    input,
    encoding: "utf8",
    stdio: ["pipe", "pipe", "inherit"],
  });
  if (r.status !== 0 && !allowFail) {
    console.error(
      `\nwrangler ${argv.join(" ")} failed (exit ${r.status}).${argv[0] === "d1" ? " Logged in? Run `npx wrangler login`." : ""}`,
    );
    console.error(r.stdout);
    process.exit(1);
  }
  return { ok: r.status === 0, out: r.stdout ?? "" };
}

const toml = readFileSync(config, "utf8");
const dbName = /database_name\s*=\s*"([^"]+)"/.exec(toml)?.[1] ?? "edgehooks";
const queues = [...new Set([...toml.matchAll(/^\s*(?:queue|dead_letter_queue)\s*=\s*"([^"]+)"/gm)].map((m) => m[1]))];

// 1. The D1 database: reuse one of that name, else create it; either way its id goes into wrangler.toml.
console.log(`▸ D1 database ${dbName}`);
const existing = JSON.parse(wrangler(["d1", "list", "--json"]).out || "[]").find((d) => d.name === dbName);
let id = existing?.uuid;
if (!id) {
  const created = wrangler(["d1", "create", dbName]).out;
  id = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/.exec(created)?.[0];
  if (!id) {
    console.error(`could not read the new database's id from:\n${created}`);
    process.exit(1);
  }
  console.log(`  created (${id})`);
} else console.log(`  exists (${id})`);
const updated = toml.replace(/^(\s*database_id\s*=\s*)"[^"]*"/m, `$1"${id}"`);
if (updated !== toml) {
  writeFileSync(config, updated);
  console.log(
    `  wrote database_id into ${config}${toml.includes(PLACEHOLDER_ID) ? "" : " (it named another database before)"}`,
  );
}

// 2. The queues: the events queue, its dead-letter queue and that one's own, and the sweep queue.
const listed = wrangler(["queues", "list"]).out;
for (const q of queues) {
  const present = new RegExp(`(^|[\\s│|])${q.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}([\\s│|]|$)`, "m").test(listed);
  console.log(`▸ queue ${q}: ${present ? "exists" : "creating"}`);
  if (!present) wrangler(["queues", "create", q]);
}

// 3. The schema.
console.log("▸ migrations");
wrangler(["d1", "migrations", "apply", "DB", "--remote"], { input: "y\n" });

// 4. The secrets, only when missing (a re-run must not change the key everyone uses).
const secretList = wrangler(["secret", "list", "--format", "json"], { allowFail: true });
const have = new Set(secretList.ok ? JSON.parse(secretList.out || "[]").map((s) => s.name) : []);
let rootKey = null;
if (!have.has("ENCRYPTION_KEY")) {
  console.log("▸ secret ENCRYPTION_KEY: setting a fresh 32-byte key");
  wrangler(["secret", "put", "ENCRYPTION_KEY"], { input: randomBytes(32).toString("base64") });
} else console.log("▸ secret ENCRYPTION_KEY: set already");
if (!have.has("ROOT_API_KEY")) {
  rootKey = `ek_root_${randomBytes(32).toString("base64url")}`;
  console.log("▸ secret ROOT_API_KEY: setting a fresh root key");
  wrangler(["secret", "put", "ROOT_API_KEY"], { input: rootKey });
} else console.log("▸ secret ROOT_API_KEY: set already");

console.log("\nReady: `npm run deploy` (then set PUBLIC_URL in wrangler.toml to the deployed URL).");
if (rootKey) console.log(`\nRoot key (shown once, stored nowhere; keep it in your password manager):\n${rootKey}\n`);
