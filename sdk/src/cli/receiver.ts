/**
 * A local receiver that verifies each delivery and prints it (`edgehooks listen`, and the one
 * `edgehooks demo` starts). An invalid signature is answered 401, so the delivery log shows it.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { verifyWebhook, type SignatureProfile } from "../verify.js";
import { paint, type Io } from "./io.js";

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
    // A GET or HEAD is someone checking the receiver is up (the README's readiness probe), not a
    // delivery: answer it without printing a failed signature.
    if (req.method === "GET" || req.method === "HEAD") {
      res.writeHead(200, { "content-type": "text/plain" }).end("edgehooks receiver: deliveries are POSTed here\n");
      return;
    }
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", async () => {
      count += 1;
      const payload = Buffer.concat(chunks).toString("utf8");
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(", ") : (v ?? "")]));
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
      const b = body as { type?: string; event?: string; data?: { attributes?: { event_type?: string } } };
      const type = b?.type ?? b?.event ?? b?.data?.attributes?.event_type ?? "?";
      let status = verified === false ? 401 : 200;
      if (options.status) status = options.status;
      else if (count <= (options.failFirst ?? 0)) status = 500;
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify({ ok: status < 300 }));
      const received: Received = { id: headers["webhook-id"] ?? null, type, verified, status, body };
      if (options.json) io.out(JSON.stringify({ ...received, attempt: headers["webhook-attempt"] ?? null, at: new Date().toISOString() }));
      else {
        const verdict =
          verified === null
            ? paint(io, "yellow", "unverified (no secret given)")
            : verified
              ? paint(io, "green", "signature verified ✔")
              : paint(io, "red", `signature INVALID ✘ (${why})`);
        io.out(`── #${count} ${new Date().toISOString()} ${req.method} ${req.url}`);
        io.out(`   webhook-id: ${received.id ?? "-"}   attempt: ${headers["webhook-attempt"] ?? "-"}   type: ${type}`);
        io.out(`   ${verdict}   → answering ${status}`);
        io.out(JSON.stringify(body, null, 2).slice(0, 2048).replace(/^/gm, "   "));
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
