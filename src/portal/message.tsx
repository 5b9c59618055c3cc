/** @jsxImportSource hono/jsx */
/**
 * The portal's one-message pages (signed out, refused, a link that does not work) and the login
 * page: a title, a sentence and at most one form, branded, outside the signed-in layout.
 */
import type { Context } from "hono";
import type { Child } from "hono/jsx";
import type { AppEnv } from "../http/context";
import type { PortalSettings } from "../lib/portal-settings";
import { BrandMark, PageHead } from "./pages/layout";

const CSS =
  "body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;color:#1b1f24}.brand{display:flex;gap:.6rem;align-items:center;font-weight:600}.brand img{max-height:2rem;max-width:10rem}" +
  "button{padding:.55rem 1rem;border-radius:8px;border:1px solid var(--accent);background:var(--accent);color:var(--accent-fg);font:inherit;font-weight:600;cursor:pointer}.tenant{font-weight:600}.muted{color:#5b6470;font-size:.9rem}";

export function Message(props: { title: string; text: string; brand: PortalSettings; children?: Child }) {
  return (
    <html lang="en">
      <PageHead title={props.title} brand={props.brand} css={CSS} />
      <body>
        <header>
          <BrandMark brand={props.brand} />
        </header>
        <main>
          <h1>{props.title}</h1>
          <p>{props.text}</p>
          {props.children}
        </main>
      </body>
    </html>
  );
}

export type MessageStatus = 200 | 400 | 401 | 403 | 404 | 410 | 429 | 500;

export const messagePage = (c: Context<any, any>, status: MessageStatus, title: string, text: string) =>
  c.html(
    <Message title={title} text={text} brand={(c.get("config") as AppEnv["Variables"]["config"]).portal} />,
    status,
  );
