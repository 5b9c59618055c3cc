/**
 * The `edgehooks` CLI end to end: the real bin (sdk/bin/edgehooks.mjs, built by npm run sdk:build)
 * as a child process against a real `npm start` service, with its own config file.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, statSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, ROOT, type Service, startService } from "./service";

const BIN = join(ROOT, "sdk", "bin", "edgehooks.mjs");
let svc: Service;
let env: NodeJS.ProcessEnv;

function cli(args: string[], extraEnv: NodeJS.ProcessEnv = {}, input?: string) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: tmpdir(),
    env: { ...env, ...extraEnv },
    encoding: "utf8",
    timeout: 60_000,
    input,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function cliAsync(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: tmpdir(), env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (err += d));
  return new Promise((resolve) => child.once("close", (code) => resolve({ code, out, err })));
}

/** A long-running command: its output as it comes, until `done` holds, then it is stopped. */
function follow(args: string[]) {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: tmpdir(), env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (err += d));
  return {
    out: () => out,
    err: () => err,
    async until(done: (out: string) => boolean, ms = 30_000) {
      const end = Date.now() + ms;
      while (!done(out)) {
        if (Date.now() > end) throw new Error(`timed out; stdout:\n${out}\nstderr:\n${err}`);
        if (child.exitCode !== null) throw new Error(`exited ${child.exitCode}; stdout:\n${out}\nstderr:\n${err}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    stop: () =>
      new Promise<number | null>((resolve) => {
        if (child.exitCode !== null) return resolve(child.exitCode);
        child.once("exit", (c) => resolve(c));
        child.kill("SIGINT");
      }),
  };
}

beforeAll(async () => {
  svc = await startService();
  const home = mkdtempSync(join(tmpdir(), "edgehooks-cli-home-"));
  // A clean environment: no inherited key or URL, a config dir of its own, no colours.
  env = { PATH: process.env.PATH, HOME: home, XDG_CONFIG_HOME: join(home, ".config"), NO_COLOR: "1" };
});

afterAll(async () => {
  await svc?.stop();
});

describe("edgehooks CLI", () => {
  it("login checks the key, then saves URL and key owner-only; env vars override the file", () => {
    const bad = cli(["login", "--url", svc.url, "--key", "ek_wrong"]);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/^error unauthorized: invalid or revoked API key \(request req_[0-9a-z]{26}\)/);
    const file = join(env.XDG_CONFIG_HOME!, "edgehooks", "config.json");
    expect(existsSync(file)).toBe(false);
    // No key in argv: it comes on stdin (a prompt on a terminal).
    const ok = cli(["login", "--url", svc.url], {}, `${svc.rootKey}\n`);
    expect(ok.err).toBe("");
    expect(ok.out).toContain(`saved to ${file} (mode 0600)`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(cli(["tenants", "ls"]).code).toBe(0);
    const overridden = cli(["tenants", "ls"], { EDGEHOOKS_API_KEY: "ek_other" });
    expect(overridden.code).toBe(1);
    expect(overridden.err).toContain("unauthorized");
  });

  it("tenants, endpoints (create/ls/test/rotate), send and listen: a verified delivery", async () => {
    const tenant = `cli_${Date.now().toString(36)}`;
    expect(cli(["tenants", "create", "CLI customer", "--id", tenant]).out).toContain(`created tenant ${tenant}`);
    expect(cli(["tenants", "ls"]).out).toContain(`${tenant}\tCLI customer`);
    const port = await freePort(8853, 8859);
    const created = JSON.parse(
      cli(["endpoints", "create", tenant, `http://127.0.0.1:${port}/webhooks`, "--event-type", "job.*", "--json"]).out,
    );
    expect(created.secret).toMatch(/^whsec_/);
    const listen = follow(["listen", "--port", String(port), "--secret", created.secret]);
    try {
      await listen.until(() => listen.err().includes("receiver listening"));
      expect(cli(["endpoints", "ls", tenant]).out).toContain(
        `${created.id}\tactive\thttp://127.0.0.1:${port}/webhooks\tjob.*`,
      );
      const test = cli(["endpoints", "test", tenant, created.id]);
      expect(test.out).toMatch(/^delivered: 200 in \d+ ms/);
      const sent = cli(["send", tenant, "job.completed", "--data", '{"pages":3}', "--idempotency-key", "job-3"]);
      expect(sent.out).toMatch(/^accepted evt_[0-9a-z]{26} \(job.completed\)/);
      // The same key again: the same event, and the CLI says nothing new is sent.
      const again = cli(["send", tenant, "job.completed", "--data", '{"pages":3}', "--idempotency-key", "job-3"]);
      expect(again.code).toBe(0);
      expect(again.out).toContain(`${/evt_[0-9a-z]{26}/.exec(sent.out)![0]} (job.completed) (already accepted`);
      await listen.until((o) => /type: job.completed\n {3}signature verified ✔ {3}→ answering 200/.test(o));
      // After a rotation the receiver still holds the old secret: the old one keeps signing.
      const rotated = cli(["endpoints", "rotate", tenant, created.id]);
      expect(rotated.out).toMatch(/^new secret: whsec_/);
      expect(cli(["send", tenant, "job.completed", "--data", "{}"]).code).toBe(0);
      await listen.until((o) => o.split("signature verified").length === 4);
      expect(listen.out()).not.toContain("INVALID");
    } finally {
      expect(await listen.stop()).toBe(0);
    }
  });

  it("tail follows deliveries as they happen (--json), and replay retries one", async () => {
    const tenant = `tail_${Date.now().toString(36)}`;
    cli(["tenants", "create", "Tail", "--id", tenant]);
    // An endpoint that answers 500 (the listener's --status), so the delivery walks into pending_retry.
    const port = await freePort(8853, 8859);
    const ep = JSON.parse(cli(["endpoints", "create", tenant, `http://127.0.0.1:${port}/x`, "--json"]).out);
    const listen = follow(["listen", "--port", String(port), "--status", "500"]);
    const tail = follow(["tail", tenant, "--json", "--interval", "200"]);
    try {
      await listen.until(() => listen.err().includes("receiver listening"));
      await tail.until(() => tail.err().includes("following deliveries"));
      const event = JSON.parse(cli(["send", tenant, "order.paid", "--json"]).out);
      await tail.until((o) =>
        o.split("\n").some((l) => l.includes(event.id) && JSON.parse(l).status === "pending_retry"),
      );
      const line = JSON.parse(
        tail
          .out()
          .split("\n")
          .find((l) => l.includes("pending_retry"))!,
      );
      expect(line).toMatchObject({ event_id: event.id, endpoint_id: ep.id, attempt_count: 1, last_status_code: 500 });
      const replay = cli(["replay", tenant, line.id]);
      expect(replay.out).toMatch(/^attempt 2 \(manual\): 500 in \d+ ms/);
    } finally {
      await tail.stop();
      await listen.stop();
    }
  });

  it("demo creates everything on its own receiver and shows a verified, succeeded delivery", async () => {
    const r = cli(["demo", "--port", String(await freePort(8853, 8859))]);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/receiver got webhook-id evt_[0-9a-z]{26}: signature verified ✔/);
    expect(r.out).toMatch(/dlv_[0-9a-z]{26} {2}succeeded {2}job.completed/);
    expect(r.out).toMatch(/attempt 1 \(scheduled\) .* HTTP 200/);
    // The next step keeps a receiver where the demo's endpoint points (its own closed on exit).
    const port = /receiver listening on http:\/\/127\.0\.0\.1:(\d+)\/webhooks/.exec(r.out)![1];
    expect(r.out).toMatch(new RegExp(`WEBHOOK_SECRET='whsec_[A-Za-z0-9+/=]+' npx edgehooks listen --port ${port}\n`));
  });

  it("endpoints test exits 1 when the receiver does not answer 2xx; --help of a command shows that command", async () => {
    // The CLI's own receiver answering 401, in a process of its own (cli() blocks this one).
    const port = await freePort(8853, 8859);
    const refusing = follow(["listen", "--port", String(port), "--status", "401"]);
    try {
      for (let i = 0; ; i++) {
        const up = await fetch(`http://127.0.0.1:${port}/`).then(
          (r) => r.ok,
          () => false,
        );
        if (up) break;
        if (i > 600) throw new Error(`the receiver did not start: ${refusing.err()}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const tenant = `org_refused_${Date.now().toString(36)}`;
      cli(["tenants", "create", "Refused Co", "--id", tenant]);
      const ep = JSON.parse(cli(["endpoints", "create", tenant, `http://127.0.0.1:${port}/hook`, "--json"]).out);
      const r = cli(["endpoints", "test", tenant, ep.id]);
      expect(r.out).toMatch(/^failed: 401 in \d+ ms/);
      expect(r.code).toBe(1);
      const disabled = cli(["endpoints", "disable", tenant, ep.id]);
      expect([disabled.code, disabled.out]).toEqual([0, `${ep.id} is disabled\n`]);
      const deleted = cli(["endpoints", "delete", tenant, ep.id]);
      expect(deleted.code).toBe(0);
      expect(cli(["endpoints", "ls", tenant]).out).not.toContain(ep.id);
    } finally {
      await refusing.stop();
    }
    const help = cli(["tail", "--help"]);
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/^edgehooks tail\n\n {2}tail <tenant> \[--since TIME\]/);
    expect(help.out).not.toContain("login [--url");
  });

  it("portal prints a sign-in link; events get and deliveries get show what was sent and each attempt; exit codes", async () => {
    const tenant = `reads_${Date.now().toString(36)}`;
    cli(["tenants", "create", "Reads Co", "--id", tenant]);
    const link = cli(["portal", tenant, "--read-only", "--expires-in", "3600"]);
    expect(link.code).toBe(0);
    // stdout is the link alone, so `open "$(edgehooks portal t)"` works; the rest goes to stderr.
    expect(link.out).toMatch(new RegExp(`^${svc.url}/portal/login\\?code=ps_code_[A-Za-z0-9_-]+\n$`));
    expect(link.err).toContain("read-only session lasts until");
    // The link opens the page naming the tenant.
    const page = await fetch(link.out.trim());
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("Reads Co");
    expect(cli(["portal", tenant, "--expires-in", "soon"])).toMatchObject({
      code: 2,
      err: expect.stringContaining("--expires-in takes whole seconds"),
    });
    expect(cli(["portal"])).toMatchObject({ code: 2, err: expect.stringContaining("missing a tenant id") });
    expect(cli(["portal", "org_missing_tenant"])).toMatchObject({
      code: 1,
      err: expect.stringMatching(/^error not_found: /),
    });

    const port = await freePort(8853, 8859);
    const ep = JSON.parse(cli(["endpoints", "create", tenant, `http://127.0.0.1:${port}/reads`, "--json"]).out);
    const listen = follow(["listen", "--port", String(port), "--status", "503"]);
    try {
      await listen.until(() => listen.err().includes("receiver listening"));
      const event = JSON.parse(
        cli(["send", tenant, "invoice.paid", "--data", '{"invoice":"inv_7","total":1200}', "--json"]).out,
      );
      await listen.until((o) => o.includes("invoice.paid"));
      let shown = cli(["events", "get", tenant, event.id]);
      // The log records the attempt just after the receiver answered: poll until it shows.
      for (let i = 0; i < 200 && !shown.out.includes("pending_retry"); i++) {
        await new Promise((r) => setTimeout(r, 100));
        shown = cli(["events", "get", tenant, event.id]);
      }
      expect(shown.code).toBe(0);
      expect(shown.out).toMatch(new RegExp(`^${event.id}  invoice.paid  `));
      expect(shown.out).toContain('"invoice": "inv_7"');
      const dlv = new RegExp(`(dlv_[0-9a-z]{26})  pending_retry  → ${ep.id}  1 attempt\\(s\\)`).exec(shown.out)?.[1];
      expect(dlv, shown.out).toBeDefined();
      const detail = cli(["deliveries", "get", tenant, dlv!]);
      expect(detail.code).toBe(0);
      expect(detail.out).toMatch(new RegExp(`^${dlv}  pending_retry  invoice.paid  ${event.id} → ${ep.id}\n`));
      expect(detail.out).toMatch(/\n {2}attempt 1 \(scheduled\) {2}\S+ {2}HTTP 503 {2}\d+ ms\n/);
      expect(detail.out).toContain(`the payload: edgehooks events get ${tenant} ${event.id}`);
      expect(JSON.parse(cli(["deliveries", "get", tenant, dlv!, "--json"]).out)).toMatchObject({
        id: dlv,
        attempts: [{ number: 1, status_code: 503 }],
      });
    } finally {
      await listen.stop();
    }
    expect(cli(["events", "get", tenant, "evt_00000000000000000000000000"])).toMatchObject({
      code: 1,
      err: expect.stringMatching(/^error not_found: /),
    });
    expect(cli(["deliveries", "get", tenant])).toMatchObject({
      code: 2,
      err: expect.stringContaining("missing a delivery id"),
    });
    expect(cli(["events", "ls", tenant])).toMatchObject({
      code: 2,
      err: expect.stringContaining("unknown: events ls"),
    });
    for (const command of ["portal", "events", "deliveries"]) {
      const help = cli([command, "--help"]);
      expect(help.code).toBe(0);
      expect(help.out.split("\n")[2]).toMatch(new RegExp(`^ {2}${command} `));
    }
  });

  it("rotate --commit finishes a vendor-header rotation; a second endpoint on one URL is created with a warning", async () => {
    const tenant = `rot_${Date.now().toString(36)}`;
    cli(["tenants", "create", "Rotation Co", "--id", tenant]);
    // A vendor-style header (one signature): the CLI creates standard endpoints, so this one comes from the API.
    const res = await fetch(`${svc.url}/v1/tenants/${tenant}/endpoints`, {
      method: "POST",
      headers: { authorization: `Bearer ${svc.rootKey}`, "content-type": "application/json" },
      body: JSON.stringify({
        url: "http://127.0.0.1:1/vendor",
        signature: { scheme: "hmac-sha256-hex", header: "X-Acme-Signature" },
      }),
    });
    const ep = (await res.json()) as { id: string };
    const rotated = cli(["endpoints", "rotate", tenant, ep.id, "--grace", "3600"]);
    expect(rotated.code).toBe(0);
    expect(rotated.out).toContain(
      `once the receiver holds the new one, run\n  edgehooks endpoints rotate ${tenant} ${ep.id} --commit\n`,
    );
    const committed = cli(["endpoints", "rotate", tenant, ep.id, "--commit"]);
    expect(committed.code).toBe(0);
    expect(committed.out).toMatch(
      new RegExp(
        `^committed: every signature header of ${ep.id} now uses the new secret; the previous one still signs webhook-signature until \\d{4}-`,
      ),
    );
    expect(JSON.parse(cli(["endpoints", "rotate", tenant, ep.id, "--commit", "--json"]).out)).toMatchObject({
      endpoint_id: ep.id,
      pending_commit: false,
    });
    expect(cli(["endpoints", "rotate", tenant, ep.id, "--commit", "--grace", "5"]).code).toBe(2);
    expect(cli(["endpoints", "rotate", tenant, ep.id, "--grace", "a day"])).toMatchObject({
      code: 2,
      err: expect.stringContaining("--grace takes whole seconds"),
    });
    expect(cli(["endpoints", "rotate", tenant, "ep_00000000000000000000000000", "--commit"]).code).toBe(1);

    // The same URL again: created (it may be meant), with a warning naming the endpoint already there.
    const first = cli(["endpoints", "create", tenant, "http://127.0.0.1:1/shared", "--json"]);
    expect(first.err).toBe("");
    const firstId = JSON.parse(first.out).id;
    expect(JSON.parse(first.out).warnings).toBeUndefined();
    const second = cli(["endpoints", "create", tenant, "http://127.0.0.1:1/shared"]);
    expect(second.code).toBe(0);
    expect(second.out).toMatch(/^created endpoint ep_/);
    expect(second.err).toBe(
      `warning endpoint ${firstId} already sends to this URL: an event both match is delivered once to each. Delete the extra endpoint if that was not meant. (${firstId})\n`,
    );
    const third = JSON.parse(cli(["endpoints", "create", tenant, "http://127.0.0.1:1/shared", "--json"]).out);
    expect(third.warnings).toEqual([
      {
        code: "url_shared",
        message: expect.stringMatching(/^2 endpoints already send to this URL/),
        endpoint_ids: expect.arrayContaining([firstId]),
      },
    ]);
  });

  it("errors come in the envelope's words: code, message, each issue, request id; usage errors exit 2", () => {
    const r = cli(["endpoints", "create", "org_nope", "ftp://example.com", "--event-type", "not a type"]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^error bad_request: invalid request \(request req_[0-9a-z]{26}\)\n {2}event_types\.0: /);
    const missing = cli(["send"]);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain("usage missing a tenant id");
    // The saved key is for svc.url only: another URL needs its own key.
    expect(cli(["tenants", "ls", "--url", "http://127.0.0.1:1"]).err).toContain("the saved key is for");
    const down = cli(["tenants", "ls", "--url", "http://127.0.0.1:1", "--key", "ek_any"]);
    expect(down.code).toBe(1);
    expect(down.err).toContain("cannot reach the service at http://127.0.0.1:1 ");
    expect(down.err).toContain("that URL came from --url");
  });

  it("endpoints test prints the receiver's answer without its terminal escape sequences", async () => {
    const tenant = `esc_${Date.now().toString(36)}`;
    cli(["tenants", "create", "Escapes", "--id", tenant]);
    const port = await freePort(8853, 8859);
    const hostile = createServer((_req, res) =>
      res.end("ok\u001b]0;owned title\u0007\u001b[2J\u001b[1;1Hfake prompt$ \u009b31m"),
    );
    await new Promise<void>((resolve) => hostile.listen(port, "127.0.0.1", () => resolve()));
    try {
      const ep = JSON.parse(cli(["endpoints", "create", tenant, `http://127.0.0.1:${port}/x`, "--json"]).out);
      // Asynchronously: the receiver above runs in this process and must answer meanwhile.
      const test = await cliAsync(["endpoints", "test", tenant, ep.id]);
      expect(test.out).toMatch(/^delivered: 200 in \d+ ms\nok/);
      expect(test.out.replaceAll("\n", "")).not.toMatch(/\p{Cc}/u);
      expect(test.out).toContain("\\u001b]0;owned title\\u0007");
    } finally {
      await new Promise((resolve) => hostile.close(resolve));
    }
  });
});
