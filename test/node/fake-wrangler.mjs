// A stand-in for `wrangler` in the setup test: records each call (argv and stdin) as a JSON line
// in $FAKE_WRANGLER_LOG and answers like the real commands do on an empty account.
import { appendFileSync, readFileSync } from "node:fs";

const argv = process.argv.slice(2);
let stdin = "";
try {
  stdin = readFileSync(0, "utf8");
} catch {
  // no stdin
}
appendFileSync(process.env.FAKE_WRANGLER_LOG, `${JSON.stringify({ argv, stdin })}\n`);
const has = (...words) => words.every((w, i) => argv[i] === w);
const state = process.env.FAKE_WRANGLER_STATE ?? "empty";
if (has("d1", "list"))
  console.log(
    state === "empty" ? "[]" : JSON.stringify([{ uuid: "11111111-2222-3333-4444-555555555555", name: "edgehooks" }]),
  );
else if (has("d1", "create"))
  console.log(
    '✅ Successfully created DB \'edgehooks\'\n[[d1_databases]]\nbinding = "DB"\ndatabase_name = "edgehooks"\ndatabase_id = "9f8e7d6c-1234-4abc-8def-0123456789ab"',
  );
else if (has("queues", "list"))
  console.log(
    state === "empty"
      ? "┌──┐\n└──┘"
      : "│ id │ edgehooks-events │\n│ id │ edgehooks-events-dlq │\n│ id │ edgehooks-events-dlq-final │\n│ id │ edgehooks-sweep │",
  );
else if (has("secret", "list")) {
  if (state === "empty") {
    console.error("This Worker does not exist on your account.");
    process.exit(1);
  }
  console.log(
    JSON.stringify([
      { name: "ROOT_API_KEY", type: "secret_text" },
      { name: "ENCRYPTION_KEY", type: "secret_text" },
    ]),
  );
}
