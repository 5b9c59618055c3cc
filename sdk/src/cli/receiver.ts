/**
 * A local receiver that verifies each delivery and prints it (`edgehooks listen`, and the one
 * `edgehooks demo` starts). An invalid signature is answered 401, so the delivery log shows it.
 *
 * It listens on 127.0.0.1, which every web page the user opens can also reach: a page's POST
 * carries `Origin` (and `Sec-Fetch-Site`), a delivery never does, so such requests are refused
 * unread. With a secret, a request that fails verification is answered 401 and only a line
 * saying so is printed, none of its content. Every printed remote string is made printable.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { type SignatureProfile, verifyWebhook } from "../verify.js";
import { type Io, paint } from "./io.js";
import { printable } from "./printable.js";

/** The largest body read: Edgehooks' own ingest limit (1 MiB), so any real delivery fits. */
export const MAX_BODY_BYTES = 1024 * 1024;

export interface ReceiverOptions {
  port: number;
  secret?: string;
  signature?: SignatureProfile;
  failFirst?: number;
  status?: number;
  json?: boolean;
}

export interface Received {
  id: string | null;
  type: string;
  verified: boolean | null;
  status: number;
  body: unknown;
}

export interface Receiver {
  url: string;
  server: Server;
  /** Called for each request, after it is answered. */
  onReceived(listener: (r: Received) => void): void;
  setSecret(secret: string): void;
  close(): Promise<void>;
}

export async function startReceiver(io: Io, options: ReceiverOptions): Promise<Receiver> {
  let secret = options.secret;
  let count = 0;
  const listeners: ((r: Received) => void)[] = [];
  const server = createServer((req, res) => {
    const refuse = (status: number, why: string) => {
      res.writeHead(status, { "content-type": "application/json", connection: "close" });
      res.end(JSON.stringify({ ok: false, error: why }));
      io.err(
        `${paint(io, "red", "refused")} ${printable(req.method)} ${printable(req.url)}: ${why} → answering ${status}`,
      );
    };
    const origin = req.headers.origin ?? req.headers["sec-fetch-site"];
    if (origin !== undefined) {
      req.resume();
      return refuse(403, `a request from a web page (${printable(String(origin))}) is not a delivery`);
    }
    // A GET or HEAD is someone checking the receiver is up (the README's readiness probe), not a
    // delivery: answer it without printing a failed signature.
    if (req.method === "GET" || req.method === "HEAD") {
      res.writeHead(200, { "content-type": "text/plain" }).end("edgehooks receiver: deliveries are POSTed here\n");
      return;
    }
    if (Number(req.headers["content-length"] ?? 0) > MAX_BODY_BYTES) {
      req.destroy();
      return refuse(413, `body over ${MAX_BODY_BYTES} bytes`);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY_BYTES) chunks.push(c);
      else if (!res.headersSent) {
        refuse(413, `body over ${MAX_BODY_BYTES} bytes`);
        req.destroy();
      }
    });
    req.on("end", async () => {
      if (size > MAX_BODY_BYTES) return;
      count += 1;
      const payload = Buffer.concat(chunks).toString("utf8");
      const headers = Object.fromEntries(
        Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(", ") : (v ?? "")]),
      );
      let verified: boolean | null = null;
      let why = "";
      if (secret) {
        try {
          await verifyWebhook({ payload, headers, secret, signature: options.signature });
          verified = true;
        } catch (err) {
          verified = false;
          why = (err as Error).message;
        }
      }
      let body: unknown = payload;
      try {
        body = JSON.parse(payload);
      } catch {
        // not JSON: print it as text
      }
      const b = body as { type?: unknown; event?: unknown; data?: { attributes?: { event_type?: unknown } } };
      const type = printable(String(b?.type ?? b?.event ?? b?.data?.attributes?.event_type ?? "?"));
      // What failed verification came from anyone: none of its content is printed.
      if (verified === false) body = null;
      let status = verified === false ? 401 : 200;
      if (options.status) status = options.status;
      else if (count <= (options.failFirst ?? 0)) status = 500;
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify({ ok: status < 300 }));
      const received: Received = {
        id: headers["webhook-id"] ?? null,
        type: verified === false ? "?" : type,
        verified,
        status,
        body,
      };
      if (options.json)
        io.out(
          JSON.stringify({ ...received, attempt: headers["webhook-attempt"] ?? null, at: new Date().toISOString() }),
        );
      else {
        const verdict =
          verified === null
            ? paint(io, "yellow", "unverified (no secret given)")
            : verified
              ? paint(io, "green", "signature verified ✔")
              : paint(io, "red", `signature INVALID ✘ (${printable(why)})`);
        io.out(`── #${count} ${new Date().toISOString()} ${printable(req.method)} ${printable(req.url)}`);
        if (verified === false) io.out(`   ${verdict}   → answering ${status} (content not shown)`);
        else {
          io.out(
            `   webhook-id: ${printable(received.id ?? "-")}   attempt: ${printable(headers["webhook-attempt"] ?? "-")}${
              headers["webhook-sequence"] ? `   sequence: ${printable(headers["webhook-sequence"])}` : ""
            }   type: ${type}`,
          );
          io.out(`   ${verdict}   → answering ${status}`);
          io.out(printable(JSON.stringify(body, null, 2).slice(0, 2048), { multiline: true }).replace(/^/gm, "   "));
        }
      }
      for (const l of listeners) l(received);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    onReceived: (l) => listeners.push(l),
    setSecret: (s) => {
      secret = s;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
