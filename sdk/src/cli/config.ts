/**
 * Where the CLI finds the deployment and its key: flags, then EDGEHOOKS_URL / EDGEHOOKS_API_KEY,
 * then the file `edgehooks login` wrote ($EDGEHOOKS_CONFIG, else $XDG_CONFIG_HOME/edgehooks/config.json,
 * else ~/.config/edgehooks/config.json, mode 0600), then, for a local `npm start`, the root key in
 * ./.dev.vars with http://127.0.0.1:$PORT (default 8787).
 * A saved key belongs to the URL it was saved with, and the .dev.vars key to a local service: a
 * `--url` (or EDGEHOOKS_URL) naming another deployment gets neither, so a typo or a hostile
 * suggestion cannot make the CLI send the key elsewhere.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { UsageError } from "./io.js";

export interface Target {
  url: string;
  key: string;
  from: string;
}

export function configPath(env: NodeJS.ProcessEnv): string {
  if (env.EDGEHOOKS_CONFIG) return env.EDGEHOOKS_CONFIG;
  const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), ".config");
  return join(base, "edgehooks", "config.json");
}

export function readConfigFile(env: NodeJS.ProcessEnv): { url?: string; key?: string } {
  const path = configPath(env);
  if (!existsSync(path)) return {};
  try {
    return JSON.parse(readFileSync(path, "utf8")) as { url?: string; key?: string };
  } catch {
    throw new UsageError(`${path} is not valid JSON; run \`edgehooks login\` again`);
  }
}

/**
 * Writes the file owner-only: the key is a credential. A new temporary file is created 0600
 * (exclusively, so nothing else's file or link is written through) and renamed over the old one:
 * the key is never in a file another user can read, not even for a moment, and a symlink at the
 * path is replaced, not followed.
 */
export function writeConfigFile(env: NodeJS.ProcessEnv, value: { url: string; key: string }): string {
  const path = configPath(env);
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${randomBytes(6).toString("hex")}.tmp`;
  try {
    writeFileSync(temporary, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600, flag: "wx" });
    renameSync(temporary, path);
  } catch (err) {
    rmSync(temporary, { force: true });
    throw err;
  }
  return path;
}

/** Whether two URLs name the same deployment: scheme, host, port and path (trailing slashes aside). */
export function sameDeployment(a: string, b: string): boolean {
  const norm = (u: string) => {
    try {
      const url = new URL(u);
      return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, "")}`;
    } catch {
      return null;
    }
  };
  const left = norm(a);
  return left !== null && left === norm(b);
}

const isLoopbackUrl = (u: string) => {
  try {
    return ["127.0.0.1", "localhost", "[::1]"].includes(new URL(u).hostname);
  } catch {
    return false;
  }
};

function devVarsKey(cwd: string): string | undefined {
  const path = join(cwd, ".dev.vars");
  if (!existsSync(path)) return undefined;
  return /^\s*ROOT_API_KEY\s*=\s*"?([^"\s]+)"?\s*$/m.exec(readFileSync(path, "utf8"))?.[1];
}

export function resolveTarget(
  flags: { url?: string; key?: string },
  env: NodeJS.ProcessEnv,
  cwd = process.cwd(),
): Target {
  const file = readConfigFile(env);
  const local = `http://127.0.0.1:${env.PORT || "8787"}`;
  const url = flags.url ?? env.EDGEHOOKS_URL ?? file.url ?? local;
  if (flags.key) return { url, key: flags.key, from: "--key" };
  if (env.EDGEHOOKS_API_KEY) return { url, key: env.EDGEHOOKS_API_KEY, from: "EDGEHOOKS_API_KEY" };
  if (file.key && file.url && sameDeployment(url, file.url)) return { url, key: file.key, from: configPath(env) };
  const dev = isLoopbackUrl(url) ? devVarsKey(cwd) : undefined;
  if (dev) return { url, key: dev, from: ".dev.vars" };
  if (file.key && file.url) {
    throw new UsageError(
      `the saved key is for ${file.url}, not ${url}: pass --key or EDGEHOOKS_API_KEY, or run \`edgehooks login --url ${url}\``,
    );
  }
  throw new UsageError(
    "no API key: run `edgehooks login`, set EDGEHOOKS_API_KEY, or run from the directory where `npm start` wrote .dev.vars",
  );
}
