/**
 * `npm run setup` against a stub of wrangler that records what it would run (test/node/fake-wrangler.mjs),
 * on a copy of wrangler.toml; and the real `wrangler deploy --dry-run` on the repo's config.
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "./service";

function setup(state: "empty" | "provisioned") {
  const dir = mkdtempSync(join(tmpdir(), "edgehooks-setup-"));
  const config = join(dir, "wrangler.toml");
  copyFileSync(join(ROOT, "wrangler.toml"), config);
  const log = join(dir, "calls.jsonl");
  const r = spawnSync(process.execPath, [join(ROOT, "scripts", "setup.mjs"), "--config", config], {
    cwd: ROOT,
    env: {
      ...process.env,
      WRANGLER: `${process.execPath} ${join(ROOT, "test", "node", "fake-wrangler.mjs")}`,
      FAKE_WRANGLER_LOG: log,
      FAKE_WRANGLER_STATE: state,
    },
    encoding: "utf8",
  });
  const calls = readFileSync(log, "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { argv: string[]; stdin: string });
  return {
    r,
    dir,
    config,
    toml: readFileSync(config, "utf8"),
    calls,
    run: calls.map((c) => c.argv.slice(0, c.argv.indexOf("-c")).join(" ")),
  };
}

describe("npm run setup", () => {
  it("on an empty account: creates the database (id into wrangler.toml), the queues, the schema and both secrets", () => {
    const { r, dir, config, toml, calls, run } = setup("empty");
    expect(r.status).toBe(0);
    expect(run).toEqual([
      "d1 list --json",
      "d1 create edgehooks",
      "queues list",
      "queues create edgehooks-events",
      "queues create edgehooks-events-dlq",
      "queues create edgehooks-events-dlq-final",
      "queues create edgehooks-sweep",
      "d1 migrations apply DB --remote",
      "secret list --format json",
      "secret put ENCRYPTION_KEY",
      "secret put ROOT_API_KEY",
    ]);
    expect(calls.every((c) => c.argv.at(-1) === config)).toBe(true);
    expect(toml).toContain('database_id = "9f8e7d6c-1234-4abc-8def-0123456789ab"');
    expect(toml).not.toContain("00000000-0000-0000-0000-000000000000");
    const encryption = calls.find((c) => c.argv[2] === "ENCRYPTION_KEY")!.stdin;
    expect(Buffer.from(encryption, "base64")).toHaveLength(32);
    const root = calls.find((c) => c.argv[2] === "ROOT_API_KEY")!.stdin;
    expect(root).toMatch(/^ek_root_[A-Za-z0-9_-]{43}$/);
    // Shown once on the terminal, written to no file.
    expect(r.stdout).toContain(root);
    for (const f of readdirSync(dir).filter((f) => f !== "calls.jsonl"))
      expect(readFileSync(join(dir, f), "utf8")).not.toContain(root);
  });

  it("run again on a provisioned account: reuses everything, creates nothing, keeps the secrets", () => {
    const { r, toml, run } = setup("provisioned");
    expect(r.status).toBe(0);
    expect(run).toEqual([
      "d1 list --json",
      "queues list",
      "d1 migrations apply DB --remote",
      "secret list --format json",
    ]);
    expect(toml).toContain('database_id = "11111111-2222-3333-4444-555555555555"');
    expect(r.stdout).not.toContain("ek_root_");
  });

  it("the real wrangler bundles the Worker for deploy (--dry-run)", () => {
    const out = mkdtempSync(join(tmpdir(), "edgehooks-dry-run-"));
    const r = spawnSync("npx", ["wrangler", "deploy", "--dry-run", "--outdir", out], {
      cwd: ROOT,
      env: {
        ...process.env,
        WRANGLER_SEND_METRICS: "false",
        CLOUDFLARE_CF_FETCH_ENABLED: "false",
        WRANGLER_HIDE_BANNER: "true",
      },
      encoding: "utf8",
    });
    expect(r.stderr + r.stdout).toContain("--dry-run: exiting now.");
    expect(r.status).toBe(0);
    expect(readdirSync(out)).toContain("index.js");
  });
});
