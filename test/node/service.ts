/**
 * The real service for the Node-side tests: `npm start`'s script (migrations, .dev.vars, wrangler
 * dev) on a fresh state directory and the first free port of 8853..8859, in its own process group
 * so stopping it takes workerd along.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const ROOT = join(import.meta.dirname, "..", "..");
const QUIET = { WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_HIDE_BANNER: "true" };

export async function freePort(from = 8853, to = 8859): Promise<number> {
  for (let port = from; port <= to; port++) {
    const free = await new Promise<boolean>((resolve) => {
      const s = createServer();
      s.once("error", () => resolve(false));
      s.listen(port, "127.0.0.1", () => s.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error(`no free port in ${from}..${to}`);
}

export interface Service {
  url: string;
  rootKey: string;
  output(): string;
  stop(): Promise<void>;
}

export async function startService(): Promise<Service> {
  const port = await freePort();
  const state = mkdtempSync(join(tmpdir(), "edgehooks-cli-test-"));
  const child: ChildProcess = spawn(
    process.execPath,
    ["scripts/start.mjs", "--persist-to", state, "--log-level", "warn", "--var", "LOG_LEVEL:warn"],
    {
      cwd: ROOT,
      env: { ...process.env, ...QUIET, PORT: String(port) },
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let out = "";
  child.stdout!.on("data", (d) => (out = (out + d).slice(-8000)));
  child.stderr!.on("data", (d) => (out = (out + d).slice(-8000)));
  const url = `http://127.0.0.1:${port}`;
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once("exit", () => resolve());
      process.kill(-child.pid!, "SIGTERM");
    });
  const deadline = Date.now() + 150_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`npm start exited:\n${out}`);
    try {
      if ((await fetch(`${url}/`)).ok) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`the service did not start:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  const rootKey = /^ROOT_API_KEY=(\S+)/m.exec(readFileSync(join(ROOT, ".dev.vars"), "utf8"))![1]!;
  return { url, rootKey, output: () => out, stop };
}
