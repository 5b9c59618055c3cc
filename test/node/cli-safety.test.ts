/**
 * The CLI is safe to run on what others send it: `listen` (the real bin as a child process)
 * refuses a web page's POST and bodies over 1 MiB, prints no content of a request that fails
 * verification, and prints remote strings without their control characters; its secret can come
 * from stdin; the login file is written 0600 through a temporary file; a saved key only goes to
 * the URL it was saved for.
 */
import { spawn } from "node:child_process";
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { resolveTarget, writeConfigFile } from "../../sdk/src/cli/config";
import { printable, terminalLine } from "../../sdk/src/cli/printable";
import { freePort, ROOT } from "./service";

const BIN = join(ROOT, "sdk", "bin", "edgehooks.mjs");
const ESCAPES = "\u001b]0;pwned\u0007\u001b[2J\u001b[1;1H\u009b31m";
const SECRET = `whsec_${Buffer.from("0123456789abcdef0123456789abcdef").toString("base64")}`;

/** `edgehooks listen` on a free port; `stdin` is written to it (then closed) when given. */
async function listen(args: string[], stdin?: string) {
  const port = await freePort(8860, 8870);
  const child = spawn(process.execPath, [BIN, "listen", "--port", String(port), ...args], {
    env: { PATH: process.env.PATH, HOME: tmpdir(), NO_COLOR: "1" },
    stdio: [stdin === undefined ? "ignore" : "pipe", "pipe", "pipe"],
  });
  if (stdin !== undefined) child.stdin!.end(stdin);
  let out = "";
  let err = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (err += d));
  const until = async (done: () => boolean) => {
    const end = Date.now() + 20_000;
    while (!done()) {
      if (Date.now() > end || child.exitCode !== null) throw new Error(`listen: stdout:\n${out}\nstderr:\n${err}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  };
  await until(() => err.includes("receiver listening"));
  return {
    port,
    out: () => out,
    err: () => err,
    until,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGINT");
      }),
  };
}

function post(port: number, body: string | Buffer, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port,
        method: "POST",
        path: "/webhooks",
        headers: { "content-type": "application/json", ...headers },
      },
      (res) => {
        res.resume();
        resolve(res.statusCode!);
      },
    );
    // The receiver may close early (413): the status it answered is what counts.
    req.on("error", (e) =>
      String(e).includes("EPIPE") || String(e).includes("ECONNRESET") ? resolve(413) : reject(e),
    );
    req.end(body);
  });
}

function signed(body: string, id = "evt_1") {
  const timestamp = new Date();
  const signature = new Webhook(SECRET).sign(id, timestamp, body);
  return {
    "webhook-id": id,
    "webhook-timestamp": String(Math.floor(timestamp.getTime() / 1000)),
    "webhook-signature": signature,
  };
}

describe("printable remote text", () => {
  it("control characters become visible escapes; the CLI's own colours survive the output guard", () => {
    expect(printable(`a${ESCAPES}b`)).not.toMatch(/\p{Cc}/u);
    expect(printable("line1\nline2", { multiline: true })).toBe("line1\nline2");
    expect(printable("line1\nline2")).toBe("line1\\u000aline2");
    expect(terminalLine("\u001b[32mok\u001b[39m \u001b]0;t\u0007")).toBe("\u001b[32mok\u001b[39m \\u001b]0;t\\u0007");
  });
});

describe("edgehooks listen", () => {
  it("prints a delivery's type without its escape sequences", async () => {
    const l = await listen([]);
    try {
      expect(await post(l.port, JSON.stringify({ type: `job.${ESCAPES}done`, data: { note: ESCAPES } }))).toBe(200);
      await l.until(() => l.out().includes("type: job."));
      expect(l.out().replaceAll("\n", "")).not.toMatch(/\p{Cc}/u);
      expect(l.out()).toContain("\\u001b]0;pwned");
    } finally {
      await l.stop();
    }
  });

  it("refuses a web page's POST (Origin, Sec-Fetch-Site) and a body over 1 MiB, printing none of them", async () => {
    const l = await listen([]);
    try {
      expect(await post(l.port, JSON.stringify({ type: "from.page" }), { origin: "https://evil.example" })).toBe(403);
      expect(await post(l.port, JSON.stringify({ type: "from.page" }), { "sec-fetch-site": "cross-site" })).toBe(403);
      expect(await post(l.port, Buffer.alloc(1024 * 1024 + 10, 0x20))).toBe(413);
      expect(await post(l.port, JSON.stringify({ type: "after.all" }))).toBe(200);
      await l.until(() => l.out().includes("after.all"));
      expect(l.out()).not.toContain("from.page");
      expect(l.out()).not.toContain("#2");
    } finally {
      await l.stop();
    }
  });

  it("with a secret read from stdin (--secret -): verifies, and prints no content of what fails verification", async () => {
    const l = await listen(["--secret", "-"], `${SECRET}\n`);
    try {
      const forged = JSON.stringify({ type: "forged.event", data: { line: "FAKE-OUTPUT" } });
      expect(
        await post(l.port, forged, {
          "webhook-id": "x",
          "webhook-timestamp": String(Math.floor(Date.now() / 1000)),
          "webhook-signature": "v1,AAAA",
        }),
      ).toBe(401);
      const body = JSON.stringify({ type: "real.event", data: {} });
      expect(await post(l.port, body, signed(body))).toBe(200);
      await l.until(() => l.out().includes("real.event"));
      expect(l.out()).toMatch(/type: real.event\n {3}signature verified/);
      expect(l.out()).toMatch(/signature INVALID/);
      expect(l.out()).not.toContain("forged.event");
      expect(l.out()).not.toContain("FAKE-OUTPUT");
      expect(l.err()).not.toContain("no --secret");
    } finally {
      await l.stop();
    }
  });
});

describe("the login file", () => {
  it("is written 0600 through a temporary file: a symlink at its path is replaced, its target untouched", () => {
    const home = mkdtempSync(join(tmpdir(), "edgehooks-cfg-"));
    const path = join(home, "edgehooks", "config.json");
    mkdirSync(join(home, "edgehooks"));
    const victim = join(home, "victim.txt");
    writeFileSync(victim, "not yours\n", { mode: 0o644 });
    symlinkSync(victim, path);
    expect(writeConfigFile({ EDGEHOOKS_CONFIG: path }, { url: "https://hooks.example.com", key: "ek_secret" })).toBe(
      path,
    );
    expect(readFileSync(victim, "utf8")).toBe("not yours\n");
    expect(lstatSync(path).isSymbolicLink()).toBe(false);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(path, "utf8"))).toEqual({ url: "https://hooks.example.com", key: "ek_secret" });
    // No temporary file left behind.
    expect(existsSync(join(home, "edgehooks")) && readFileSync(path, "utf8").length > 0).toBe(true);
  });

  it("its key goes only to the URL it was saved for; .dev.vars' key only to a local URL", () => {
    const home = mkdtempSync(join(tmpdir(), "edgehooks-cfg-"));
    const env = { EDGEHOOKS_CONFIG: join(home, "config.json") };
    writeConfigFile(env, { url: "https://hooks.example.com/", key: "ek_saved" });
    expect(resolveTarget({}, env, home)).toMatchObject({ url: "https://hooks.example.com/", key: "ek_saved" });
    expect(resolveTarget({ url: "https://hooks.example.com" }, env, home).key).toBe("ek_saved");
    expect(() => resolveTarget({ url: "https://collector.example.net" }, env, home)).toThrow(
      /saved key is for https:\/\/hooks.example.com/,
    );
    expect(() => resolveTarget({}, { ...env, EDGEHOOKS_URL: "http://hooks.example.com" }, home)).toThrow(/saved key/);
    // An explicit key is the user's choice for that URL.
    expect(resolveTarget({ url: "https://collector.example.net", key: "ek_given" }, env, home).key).toBe("ek_given");
    writeFileSync(join(home, ".dev.vars"), 'ROOT_API_KEY="ek_root_dev"\n');
    const bare = { EDGEHOOKS_CONFIG: join(home, "none.json") };
    expect(resolveTarget({}, bare, home).key).toBe("ek_root_dev");
    expect(() => resolveTarget({ url: "https://collector.example.net" }, bare, home)).toThrow(/no API key/);
  });
});
