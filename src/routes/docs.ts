/**
 * GET /docs: the API reference, Swagger UI rendering /openapi.json. Its script and stylesheet are
 * served from this Worker's static assets (public/docs, filled at install), never from a CDN.
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import { html } from "hono/html";
import type { AppEnv } from "../http/context";

export function registerDocsRoutes(app: OpenAPIHono<AppEnv>) {
  // The address with a trailing slash, as typed or linked, leads to the same page.
  app.get("/docs/", (c) => c.redirect("/docs", 301));
  app.get("/docs", (c) => {
    c.header(
      "content-security-policy",
      "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline'",
    );
    return c.html(html`<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>Edgehooks API reference</title>
    <link rel="icon" href="/docs/favicon-32x32.png" />
    <link rel="stylesheet" href="/docs/swagger-ui.css" />
  </head>
  <body>
    <noscript>The reference needs JavaScript; the raw document is at <a href="/openapi.json">/openapi.json</a>.</noscript>
    <div id="reference"></div>
    <script src="/docs/swagger-ui-bundle.js"></script>
    <script>
      window.ui = SwaggerUIBundle({ url: "/openapi.json", dom_id: "#reference", deepLinking: true, docExpansion: "list", defaultModelsExpandDepth: 0 });
    </script>
  </body>
</html>`);
  });
}
