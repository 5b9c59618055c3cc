// Copies Swagger UI's browser bundle from node_modules into public/docs, which wrangler serves as
// static assets, so GET /docs needs no CDN at run time. Runs on `npm install` (postinstall).
import { copyFileSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const dist = dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));
const out = join(root, "public", "docs");
mkdirSync(out, { recursive: true });
for (const file of ["swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png"])
  copyFileSync(join(dist, file), join(out, file));
