// `npm test`: every check, side by side on two cores instead of one after another.
// - The workerd projects (vitest, the longest step) start at once and stream as they run: they read
//   the SDK's sources, not its build.
// - Beside them: lint, then the SDK build, then the typecheck (it reads the generated SDK types) and
//   the Node project (the CLI's built bin against a real `wrangler dev`; its files mostly wait on the
//   processes they start). Their output is kept and shown after the workerd report, in full only
//   when a step fails. (One vitest process for both projects with maxWorkers 2 left a workerd runner
//   behind at the end, so the run never exited: two processes.)
// The last line is the sum, as CI reads it: `tests: N passed, N failed, N skipped`. Extra arguments
// go to both vitest processes.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = join(import.meta.dirname, "..");
const bin = (name) => join(root, "node_modules", ".bin", name);
const dir = mkdtempSync(join(tmpdir(), "edgehooks-test-"));
const vitest = join(root, "node_modules", "vitest", "vitest.mjs");
const extra = process.argv.slice(2);

// Lines the runtime prints about itself, not about a test: workerd's internal diagnostics (an alarm
// it ran late under load, a pipe closed as a workerd exits), wrangler noting the .dev.vars that
// `npm start` wrote (vitest.config.ts sets every binding the tests read), and Vite finding a
// dependency's source map without its sources. A failing test's own output is never one of them.
const RUNTIME_NOISE = [
  /^NOSENTRY /,
  /^exception = kj\/async-io\.c\+\+:\d+: disconnected: /,
  /^stack: \S*\/workerd@[0-9a-f]+$/,
  /^Using secrets defined in \.dev\.vars$/,
  /^Sourcemap for "\S*\/node_modules\/\S+" points to missing source files$/,
];
const ESCAPE = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g"); // colour codes
const plain = (line) => line.replace(ESCAPE, "");
const noise = (line) => RUNTIME_NOISE.some((re) => re.test(plain(line)));

/** Process groups started here, stopped with this process (each runs in its own group: see `command`). */
const groups = new Set();
for (const signal of ["SIGINT", "SIGTERM"])
  process.on(signal, () => {
    for (const pid of groups) stopGroup(pid);
    process.exit(130);
  });

function stopGroup(pid) {
  try {
    process.kill(-pid, "SIGKILL");
  } catch {}
}

/**
 * Runs a command; answers its exit code and output. `stream` writes its lines as they come, less
 * the noise. `stalled` is asked every 2 s: when it answers true the command's whole process group
 * is stopped (its own group, so a runner it left behind goes with it) and `stopped` is set.
 */
function command(cmd, args, { env = process.env, stream = false, stalled = () => false } = {}) {
  const child = spawn(cmd, args, { cwd: root, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  groups.add(child.pid);
  let stopped = false;
  const watch = setInterval(() => {
    if (!stopped && stalled()) {
      stopped = true;
      stopGroup(child.pid);
    }
  }, 2000);
  let out = "";
  for (const from of [child.stdout, child.stderr]) {
    let partial = "";
    from.on("data", (d) => {
      const text = partial + d;
      const lines = text.split("\n");
      partial = lines.pop();
      const kept = lines.filter((l) => !noise(l));
      if (kept.length) {
        const chunk = `${kept.join("\n")}\n`;
        out += chunk;
        if (stream) (from === child.stderr ? process.stderr : process.stdout).write(chunk);
      }
    });
    from.on("end", () => {
      if (partial && !noise(partial)) {
        out += partial;
        if (stream) process.stdout.write(partial);
      }
    });
  }
  return new Promise((resolve) =>
    child.on("close", (code) => {
      clearInterval(watch);
      groups.delete(child.pid);
      resolve({ code: code ?? 1, out, stopped });
    }),
  );
}

/**
 * How long a vitest process may go on once every test file has its results (test/reporter.ts
 * writes them file by file, then the run's). Now and then a workerd runner is left behind after
 * the last file, or a teardown never ends, and the process never exits; past this it is stopped,
 * and the run stands on the results it has.
 */
const EXIT_AFTER_LAST_FILE_MS = 60_000;

/** One vitest process; answers its code, output and the counts test/reporter.ts wrote. */
async function tests(name, projects, stream, workers = []) {
  const counts = join(dir, `${name}.json`);
  const read = () => {
    try {
      return JSON.parse(readFileSync(counts, "utf8"));
    } catch {
      return null;
    }
  };
  const args = [vitest, "run", "--passWithNoTests", ...workers, ...projects.flatMap((p) => ["--project", p]), ...extra];
  // Colours as on a terminal when the run is on one (the output goes through a pipe to be filtered).
  const color = process.stdout.isTTY ? { FORCE_COLOR: "1" } : {};
  let lastFileAt = null;
  const { code, out, stopped } = await command(process.execPath, args, {
    env: { ...process.env, ...color, EDGEHOOKS_TEST_COUNTS: counts },
    stream,
    stalled: () => {
      const c = read();
      const allFiles = c !== null && (c.final === true || (c.total > 0 && c.files >= c.total));
      if (!allFiles) return false;
      lastFileAt ??= Date.now();
      return Date.now() - lastFileAt > EXIT_AFTER_LAST_FILE_MS;
    },
  });
  const result = read() ?? { passed: 0, failed: 1, skipped: 0 }; // no counts: vitest itself failed
  if (!stopped) return { code, out, result };
  const files = result.final ? "the run had ended" : `${result.files} of ${result.total} files had their results`;
  const note = `${name}: vitest did not exit ${EXIT_AFTER_LAST_FILE_MS / 1000} s after its last file (${files}): stopped, and counted from its reporter\n`;
  process.stdout.write(note);
  return { code: result.failed ? 1 : 0, out: out + note, result };
}

/** A step that is not a test run: one line when it passes, its whole output when it fails. */
async function step(name, cmd, args) {
  const started = Date.now();
  const { code, out } = await command(cmd, args);
  const took = `${((Date.now() - started) / 1000).toFixed(1)} s`;
  return {
    name,
    code,
    text: code === 0 ? `${name}: ok (${took})\n` : `\n${name} failed (exit ${code}, ${took}):\n${out}\n`,
  };
}

// Two workerd runners: one runs every file's JavaScript on one thread (measured: one workerd at
// ~93 % of a core, the other core idle; 2 min 44 s for the workerd files alone, 2 min 0 s with two).
const workerd = tests("workerd", ["workers", "workers-fresh-db"], true, ["--maxWorkers=2"]);
const lint = step("lint", bin("biome"), ["check"]);
const sdk = step("sdk:build", "npm", ["run", "--silent", "sdk:build"]);
const afterSdk = sdk.then(async (built) =>
  built.code === 0
    ? Promise.all([step("typecheck", bin("tsc"), ["--noEmit"]), tests("node", ["node"], false)])
    : [
        { name: "typecheck", code: 1, text: "typecheck: not run (sdk:build failed)\n" },
        { code: 1, out: "node tests: not run (sdk:build failed)\n", result: { passed: 0, failed: 1, skipped: 0 } },
      ],
);
const [w, l, s, [t, node]] = await Promise.all([workerd, lint, sdk, afterSdk]);
process.stdout.write(node.out);
process.stdout.write(`\n${[l, s, t].map((x) => x.text).join("")}`);
rmSync(dir, { recursive: true, force: true });
const sum = (k) => w.result[k] + node.result[k];
process.stdout.write(`\ntests: ${sum("passed")} passed, ${sum("failed")} failed, ${sum("skipped")} skipped\n`);
process.exit(w.code || node.code || l.code || s.code || t.code || (sum("failed") ? 1 : 0));
