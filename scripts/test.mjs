// `npm test`'s vitest step: the workerd projects and the Node project as two vitest processes side
// by side. The Node-side files (the CLI against a real `wrangler dev`, `npm run setup`) spend most
// of their minutes waiting on the processes they start, so on two cores they fit beside the
// workerd files instead of after them. (One vitest process with maxWorkers 2 did the same but left
// a workerd runner behind at the end, so the run never exited.) The workerd files stream as they
// run; the Node files' report follows them. The last line is the sum, as CI reads it:
// `tests: N passed, N failed, N skipped`. Extra arguments go to both processes.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const dir = mkdtempSync(join(tmpdir(), "edgehooks-test-"));
const vitest = join(import.meta.dirname, "..", "node_modules", "vitest", "vitest.mjs");
const extra = process.argv.slice(2);

function run(name, projects, stream) {
  const counts = join(dir, `${name}.json`);
  const args = [vitest, "run", "--passWithNoTests", ...projects.flatMap((p) => ["--project", p]), ...extra];
  const child = spawn(process.execPath, args, {
    env: { ...process.env, EDGEHOOKS_TEST_COUNTS: counts },
    stdio: ["ignore", stream ? "inherit" : "pipe", stream ? "inherit" : "pipe"],
  });
  let out = "";
  child.stdout?.on("data", (d) => (out += d));
  child.stderr?.on("data", (d) => (out += d));
  return new Promise((resolve) =>
    child.on("exit", (code) => {
      let result = { passed: 0, failed: 1, skipped: 0 }; // no counts: vitest itself failed
      try {
        result = JSON.parse(readFileSync(counts, "utf8"));
      } catch {}
      resolve({ code, out, result });
    }),
  );
}

const [workerd, node] = await Promise.all([run("workerd", ["workers", "workers-fresh-db"], true), run("node", ["node"], false)]);
process.stdout.write(node.out);
rmSync(dir, { recursive: true, force: true });
const sum = (k) => workerd.result[k] + node.result[k];
process.stdout.write(`\ntests: ${sum("passed")} passed, ${sum("failed")} failed, ${sum("skipped")} skipped\n`);
process.exit(workerd.code || node.code || (sum("failed") ? 1 : 0));
