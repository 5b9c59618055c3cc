// `npm start`: the whole service on the local simulator (wrangler dev: local D1, Queues and
// Durable Objects, persisted under .wrangler/). Writes .dev.vars with fresh secrets when it is
// missing, applies pending migrations, then runs wrangler dev on PORT (default 8787).
// Extra arguments pass through: `npm start -- --persist-to /tmp/eh`.
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const varsPath = join(root, ".dev.vars");
const port = process.env.PORT || "8787";
const extra = process.argv.slice(2);
const env = {
  ...process.env,
  WRANGLER_SEND_METRICS: "false",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
  WRANGLER_HIDE_BANNER: "true",
};

function readVars(text) {
  const vars = {};
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*([A-Z0-9_]+)\s*=\s*(.*?)\s*$/.exec(line);
    if (m) vars[m[1]] = m[2].replace(/^"(.*)"$/, "$1");
  }
  return vars;
}

if (!existsSync(varsPath)) {
  const fresh = [
    "# Written by `npm start` for local development only. Never use these values in production.",
    `ROOT_API_KEY=ek_root_${randomBytes(32).toString("base64url")}`,
    `ENCRYPTION_KEY=${randomBytes(32).toString("base64")}`,
    "ALLOW_HTTP_URLS=true",
    "ALLOW_PRIVATE_URLS=true",
    "",
  ].join("\n");
  writeFileSync(varsPath, fresh, { mode: 0o600 });
  console.log("Wrote .dev.vars with a fresh ROOT_API_KEY and ENCRYPTION_KEY.");
}
const vars = readVars(readFileSync(varsPath, "utf8"));
const url = `http://127.0.0.1:${port}`;
const key = vars.ROOT_API_KEY ?? "(ROOT_API_KEY is missing from .dev.vars)";
console.log(`\n  Edgehooks is starting on ${url}\n  Root key: ${key}\n`);

// Migrations first; --local applies them to the same .wrangler/ state wrangler dev uses. Wrangler
// prints its status table once per migration applied (8 tables on a first run), so its output is
// kept and shown only when it fails; on success one line names what was applied.
const persist = extra.includes("--persist-to") ? ["--persist-to", extra[extra.indexOf("--persist-to") + 1]] : [];
const migrate = spawnSync("npx", ["wrangler", "d1", "migrations", "apply", "DB", "--local", ...persist], {
  cwd: root,
  env: { ...env, CI: "true" }, // answer wrangler's confirmation without a prompt
  stdio: ["ignore", "pipe", "pipe"],
  encoding: "utf8",
});
if (migrate.status !== 0) {
  process.stderr.write(`${migrate.stdout ?? ""}${migrate.stderr ?? ""}`);
  console.error("Applying migrations failed; see above.");
  process.exit(migrate.status ?? 1);
}
const applied = [...new Set([...(migrate.stdout ?? "").matchAll(/│ (\S+\.sql)\s+│ ✅/g)].map((m) => m[1]))];
console.log(
  applied.length ? `Applied ${applied.length} migration(s): ${applied.join(", ")}.` : "Database schema is up to date.",
);

// PLATFORM_LIMITS=enforce: the simulator refuses what production would (src/lib/platform-limits.ts).
// PLATFORM_LIMITS=off in the environment starts it as production runs (the bench measures that).
const limits = process.env.PLATFORM_LIMITS === "off" ? "off" : "enforce";
const dev = spawn(
  "npx",
  ["wrangler", "dev", "--port", port, "--ip", "127.0.0.1", "--var", `PLATFORM_LIMITS:${limits}`, ...extra],
  {
    cwd: root,
    env,
    stdio: "inherit",
  },
);
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => dev.kill(signal));
dev.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));

// Once it answers, the key again and commands to paste: last on screen, where they are seen.
// The block has no comments (zsh would run them) and each curl ends its answer with a newline.
const portEnv = port === "8787" ? "" : `PORT=${port} `;
const ready = () => `
  Edgehooks is ready on ${url}   (API reference: ${url}/docs)
  Root key: ${key}

  In another terminal, in ${root}, see a verified delivery with one command:

${portEnv}npm run demo

  Or call the API yourself (paste as is, bash or zsh):

export EH=${url}
export KEY=${key}
curl -s -w '\\n' -H "Authorization: Bearer $KEY" "$EH/v1/tenants"
`;
(async () => {
  for (let i = 0; i < 1200 && dev.exitCode === null; i++) {
    try {
      await fetch(`${url}/`);
      console.log(ready());
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 250));
    }
  }
})();
