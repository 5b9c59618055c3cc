#!/usr/bin/env node
// The CLI is compiled to dist/ by `npm run build` (the repo root runs it on install).
import { main } from "../dist/cli/main.js";

process.exitCode = await main(process.argv.slice(2));
