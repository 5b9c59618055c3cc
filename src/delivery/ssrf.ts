// Destination checks (docs/contract.md "Security"): a tenant's endpoint URL must not let Edgehooks reach the
// operator's own network, the cloud metadata service or loopback. Checked at create/update and
// again before every attempt; `global_fetch_strictly_public` in wrangler.toml is the second wall
// (this check cannot see what a public name resolves to, the runtime can).
//
// The WHATWG URL parser does the hard part of normalisation: it lowercases and IDNA-maps names,
// percent-decodes hosts, and rewrites every IPv4 spelling (2130706433, 0x7f.1, 0177.0.0.1, 127.1)
// to a dotted quad and every IPv6 spelling to its compressed hex form. The rules below therefore
// only need to read canonical forms.

/**
 * `selfHosts`: the deployment's own hosts (PUBLIC_URL's, SELF_HOSTS, the hosts requests came in
 * on), as `host` or `host:port`, refused whatever allowPrivate says: a delivery to Edgehooks
 * itself could call its API (resend, ingest) and multiply traffic without bound.
 */
type DestinationOptions = { allowHttp: boolean; allowPrivate: boolean; selfHosts?: readonly string[] };
type DestinationCheck = { ok: true; url: URL } | { ok: false; reason: string };

const MAX_URL_LENGTH = 2048;

/**
 * The rules for one tenant's endpoints: a sandbox tenant may use http:// even where the
 * deployment allows only https; private addresses follow the deployment whatever the tenant.
 */
export function destinationRules(deployment: DestinationOptions, sandbox: boolean): DestinationOptions {
  return { allowHttp: deployment.allowHttp || sandbox, allowPrivate: deployment.allowPrivate };
}

export function checkDestination(raw: string, opts: DestinationOptions): DestinationCheck {
  if (raw.length > MAX_URL_LENGTH) return refuse(`URL is longer than ${MAX_URL_LENGTH} characters`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return refuse(
      `not a valid absolute URL; it must start with ${opts.allowHttp ? "https:// or http://" : "https://"}`,
    );
  }
  // Percent-encoding can make the stored form longer than what was typed.
  if (url.href.length > MAX_URL_LENGTH) return refuse(`URL is longer than ${MAX_URL_LENGTH} characters`);
  // What a URL must start with here, said in full: "localhost:4000/x" parses as scheme "localhost".
  const start = opts.allowHttp ? "https:// or http://" : "https://";
  if (url.protocol === "http:") {
    if (!opts.allowHttp) return refuse("http URLs are not allowed; the URL must start with https://");
  } else if (url.protocol !== "https:") {
    // A host and port with no scheme in front ("localhost:4000/x", "example.com:8080/x").
    if (/^[^:/]+:\d/.test(raw)) return refuse(`the URL must start with ${start}; "${raw.slice(0, 40)}" has no scheme`);
    return refuse(`scheme ${url.protocol.slice(0, -1)} is not allowed; the URL must start with ${start}`);
  }
  // Credentials in the URL would be logged and shown with it; `auth` stores them encrypted.
  if (url.username !== "" || url.password !== "") {
    return refuse("credentials in the URL are not allowed; use the endpoint's auth setting");
  }
  if (url.hostname === "") return refuse("URL has no host");
  if (opts.selfHosts?.length) {
    const self = selfHostMatch(url, opts.selfHosts);
    if (self !== null)
      return refuse(`URL points at this deployment (${self}); an endpoint may not target Edgehooks itself`);
  }
  if (!opts.allowPrivate) {
    const reason = blockedHostReason(url.hostname);
    if (reason !== null) return refuse(reason);
  }
  return { ok: true, url };
}

/**
 * True when `host` (an IP literal in any spelling, with or without IPv6 brackets, or a
 * hostname) is not a public destination. A host that cannot be parsed counts as private:
 * this is a guard, so it fails closed.
 */
export function isPrivateAddress(host: string): boolean {
  const bracketed = host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
  let hostname: string;
  try {
    hostname = new URL(`http://${bracketed}/`).hostname;
  } catch {
    return true;
  }
  return hostname === "" || blockedHostReason(hostname) !== null;
}

// ---------------------------------------------------------------------------------------------
// The deployment's own hosts

/**
 * One spelling per host: lowercase (the URL parser), no root dots, IP literals canonical, and an
 * IPv4-mapped IPv6 address as its IPv4 address.
 */
function canonicalHost(hostname: string): string {
  let host = hostname.toLowerCase();
  if (host.endsWith(".")) {
    const bare = host.replace(/\.+$/, "");
    try {
      host = new URL(`http://${bare}/`).hostname;
    } catch {
      return bare;
    }
  }
  if (host.startsWith("[")) {
    const g = parseIPv6(host.slice(1, -1));
    if (g?.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) return formatIPv4(v4From(g[6]!, g[7]!));
  }
  return host;
}

/** IP literals and loopback names name one service per port; other names are served on every port. */
function portMatters(host: string): boolean {
  return host.startsWith("[") || parseIPv4(host) !== null || host === "localhost" || host.endsWith(".localhost");
}

const DEFAULT_PORTS: Record<string, string> = { "http:": "80", "https:": "443" };

/** `host`, `host:port` or a URL, as the host and (where it matters) port it names, or null. */
function parseSelfHost(entry: string): { host: string; port: string | null } | null {
  const text = entry.trim();
  if (!text) return null;
  try {
    const url = new URL(text.includes("://") ? text : `http://${text}`);
    if (!url.hostname) return null;
    const host = canonicalHost(url.hostname);
    if (!portMatters(host)) return { host, port: null };
    // The URL parser drops a port equal to its scheme's default, yet "localhost:80" and
    // "http://localhost" name port 80 only: read as portless they would make every loopback port
    // (each local receiver) this deployment. Only a bare host ("localhost") stands for every port.
    const written = /^(?:\[[^\]]*\]|[^/:?#[]*):(\d+)(?:[/?#]|$)/.exec(text)?.[1];
    const port =
      url.port ||
      (written !== undefined
        ? String(Number(written))
        : text.includes("://")
          ? DEFAULT_PORTS[url.protocol]
          : undefined);
    return { host, port: port ?? null };
  } catch {
    return null;
  }
}

/**
 * True for a canonical host that names this machine: the loopback names, 127.0.0.0/8, ::1, and the
 * unspecified addresses (0.0.0.0/8, ::), which a local connect also reaches. On one port they are
 * all one listening service, whatever the spelling.
 */
function isLoopbackHost(host: string): boolean {
  if (LOCALHOST_NAMES.has(host) || host.endsWith(".localhost") || host === "localhost.localdomain") return true;
  const v4 = parseIPv4(host);
  if (v4 !== null) return v4 < 0x01000000 || Math.floor(v4 / 0x01000000) === 127;
  if (!host.startsWith("[")) return false;
  const g = parseIPv6(host.slice(1, -1));
  if (!g?.slice(0, 6).every((x) => x === 0)) return false;
  // ::, ::1 and the deprecated IPv4-compatible ::127.x.y.z (mapped forms were made IPv4 by canonicalHost).
  return (g[6] === 0 && (g[7] === 0 || g[7] === 1)) || Math.floor(v4From(g[6]!, g[7]!) / 0x01000000) === 127;
}

/**
 * The self host the URL names, or null. A loopback self host with a port (the service run locally,
 * reached as localhost:8787) stands for every loopback spelling on that port: [::1]:8787,
 * 127.0.0.2:8787 and 0.0.0.0:8787 reach the same process.
 */
function selfHostMatch(url: URL, selfHosts: readonly string[]): string | null {
  const host = canonicalHost(url.hostname);
  const port = url.port || (url.protocol === "https:" ? "443" : "80");
  const loopback = isLoopbackHost(host);
  for (const entry of selfHosts) {
    const self = parseSelfHost(entry);
    if (!self || (self.port !== null && self.port !== port)) continue;
    if (self.host === host || (loopback && isLoopbackHost(self.host)))
      return self.port ? `${self.host}:${self.port}` : self.host;
  }
  return null;
}

function refuse(reason: string): DestinationCheck {
  return { ok: false, reason };
}

/** Why a canonical URL hostname is refused, or null when it may be reached. */
function blockedHostReason(hostname: string): string | null {
  if (hostname.endsWith(".")) {
    // "127.0.0.1.." is a domain to the URL parser but an address to many resolvers once the
    // root dots go: judge the name without them, canonicalised again ("127.1." → 127.0.0.1).
    const bare = hostname.replace(/\.+$/, "");
    if (bare === "") return "URL has no host";
    let canonical: string;
    try {
      canonical = new URL(`http://${bare}/`).hostname;
    } catch {
      return `host ${hostname} is not a valid host name`;
    }
    if (canonical.endsWith(".")) return `host ${hostname} is not a valid host name`;
    return blockedHostReason(canonical);
  }
  if (hostname.startsWith("[") && hostname.endsWith("]")) {
    const literal = hostname.slice(1, -1);
    const groups = parseIPv6(literal);
    if (groups === null) return `address ${literal} is not a valid IPv6 address`;
    return ipv6Reason(groups, literal);
  }
  const v4 = parseIPv4(hostname);
  if (v4 !== null) {
    const label = ipv4Label(v4);
    return label === null ? null : `${label} address ${hostname} is not allowed`;
  }
  return hostnameReason(hostname);
}

// ---------------------------------------------------------------------------------------------
// Names

// Names that resolve to the machine itself or to a cloud metadata service on common platforms.
const LOCALHOST_NAMES = new Set(["localhost", "ip6-localhost", "ip6-loopback"]);
const METADATA_NAMES = new Set(["metadata", "metadata.google.internal", "instance-data", "instance-data.ec2.internal"]);
// Suffixes that never resolve publicly: RFC 6761 (.localhost), mDNS (.local), the ICANN-reserved
// private TLD (.internal), RFC 8375 (.home.arpa) and the common resolver default (.localdomain).
const LOCALHOST_SUFFIXES = [".localhost", ".localdomain"];
const INTERNAL_SUFFIXES = [".internal", ".local", ".home.arpa"];

function hostnameReason(hostname: string): string | null {
  // "localhost." is the same name as "localhost" to a resolver; compare without the root dot.
  const name = hostname.toLowerCase().replace(/\.+$/, "");
  if (name === "") return "URL has no host";
  // An empty label ("a..b", ".a") is no DNS name; resolvers differ on what they make of it.
  if (name.split(".").some((label) => label === "")) return `host ${hostname} is not a valid host name`;
  if (METADATA_NAMES.has(name)) return `metadata host ${name} is not allowed`;
  if (LOCALHOST_NAMES.has(name) || LOCALHOST_SUFFIXES.some((s) => name.endsWith(s))) {
    return `loopback host ${name} is not allowed`;
  }
  if (INTERNAL_SUFFIXES.some((s) => name.endsWith(s))) return `internal host ${name} is not allowed`;
  return null;
}

// ---------------------------------------------------------------------------------------------
// IPv4

const DOTTED_QUAD = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.?$/;

/** A dotted quad as an unsigned 32-bit number, or null. Only canonical decimal input. */
function parseIPv4(text: string): number | null {
  const m = DOTTED_QUAD.exec(text);
  if (!m) return null;
  let value = 0;
  for (let i = 1; i <= 4; i++) {
    const octet = Number(m[i]);
    if (octet > 255) return null;
    value = value * 256 + octet;
  }
  return value;
}

function formatIPv4(value: number): string {
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join(".");
}

type V4Block = { base: number; bits: number; label: string };

function v4Block(cidr: string, label: string): V4Block {
  const [addr = "", bits = ""] = cidr.split("/");
  const base = parseIPv4(addr);
  if (base === null) throw new Error(`bad CIDR ${cidr}`);
  return { base, bits: Number(bits), label };
}

// First match wins, so the narrow entries (metadata, broadcast) come before their wider blocks.
const V4_BLOCKS: V4Block[] = [
  v4Block("0.0.0.0/8", "unspecified"),
  v4Block("10.0.0.0/8", "private"),
  v4Block("100.64.0.0/10", "CGNAT"),
  v4Block("127.0.0.0/8", "loopback"),
  v4Block("169.254.169.254/32", "metadata"),
  v4Block("169.254.0.0/16", "link-local"),
  v4Block("172.16.0.0/12", "private"),
  v4Block("192.0.0.0/24", "reserved"),
  v4Block("192.0.2.0/24", "reserved"),
  v4Block("192.88.99.0/24", "reserved"),
  v4Block("192.168.0.0/16", "private"),
  v4Block("198.18.0.0/15", "benchmarking"),
  v4Block("198.51.100.0/24", "reserved"),
  v4Block("203.0.113.0/24", "reserved"),
  v4Block("224.0.0.0/4", "multicast"),
  v4Block("255.255.255.255/32", "broadcast"),
  v4Block("240.0.0.0/4", "reserved"),
];

function inV4Block(value: number, block: V4Block): boolean {
  // Compare the top `bits` bits; division avoids JavaScript's signed 32-bit shift results.
  const size = 2 ** (32 - block.bits);
  return Math.floor(value / size) === Math.floor(block.base / size);
}

/** The kind of non-public IPv4 address, or null when it is public. */
function ipv4Label(value: number): string | null {
  for (const block of V4_BLOCKS) if (inV4Block(value, block)) return block.label;
  return null;
}

// ---------------------------------------------------------------------------------------------
// IPv6

/** Eight 16-bit groups, or null. Accepts `::` compression and a dotted IPv4 tail. */
function parseIPv6(input: string): number[] | null {
  let text = input.toLowerCase();
  const zone = text.indexOf("%");
  if (zone >= 0) text = text.slice(0, zone);
  const lastColon = text.lastIndexOf(":");
  if (lastColon < 0) return null;
  const tail = text.slice(lastColon + 1);
  if (tail.includes(".")) {
    const v4 = parseIPv4(tail);
    if (v4 === null || tail.endsWith(".")) return null;
    text = `${text.slice(0, lastColon + 1)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const parse = (part: string | undefined): number[] | null => {
    if (part === undefined || part === "") return [];
    const groups: number[] = [];
    for (const g of part.split(":")) {
      if (!/^[0-9a-f]{1,4}$/.test(g)) return null;
      groups.push(parseInt(g, 16));
    }
    return groups;
  };
  const head = parse(halves[0]);
  const rest = parse(halves[1]);
  if (head === null || rest === null) return null;
  if (halves.length === 1) return head.length === 8 ? head : null;
  const missing = 8 - head.length - rest.length;
  if (missing < 1) return null;
  return [...head, ...new Array<number>(missing).fill(0), ...rest];
}

function v4From(hi: number, lo: number): number {
  return hi * 0x10000 + lo;
}

function ipv6Reason(g: number[], literal: string): string | null {
  const at = (i: number): number => g[i] ?? 0;
  const zeroUpTo = (n: number): boolean => g.slice(0, n).every((x) => x === 0);
  const refuse = (label: string): string => `${label} address ${literal} is not allowed`;
  // Transition forms carry an IPv4 address inside; they are as private as the address they carry.
  const embedded = (v4: number, form: string): string | null => {
    const label = ipv4Label(v4);
    return label === null ? null : `${form} ${label} address ${literal} (${formatIPv4(v4)}) is not allowed`;
  };

  if (zeroUpTo(8)) return refuse("unspecified");
  if (zeroUpTo(7) && at(7) === 1) return refuse("loopback");
  if (zeroUpTo(5) && at(5) === 0xffff) return embedded(v4From(at(6), at(7)), "IPv4-mapped");
  if (zeroUpTo(4) && at(4) === 0xffff && at(5) === 0) return embedded(v4From(at(6), at(7)), "IPv4-translated");
  if (zeroUpTo(6)) return refuse("reserved"); // deprecated IPv4-compatible ::a.b.c.d
  if (at(0) === 0x64 && at(1) === 0xff9b) {
    // 64:ff9b::/96 is the well-known NAT64 prefix; 64:ff9b:1::/48 is for local use only.
    if (at(2) === 0 && at(3) === 0 && at(4) === 0 && at(5) === 0) return embedded(v4From(at(6), at(7)), "NAT64");
    return refuse("private");
  }
  if (at(0) === 0x2002) return embedded(v4From(at(1), at(2)), "6to4");
  if (at(0) === 0x2001 && at(1) === 0) {
    // Teredo: server address in clear, client address bit-inverted in the last 32 bits.
    return embedded(v4From(at(2), at(3)), "Teredo") ?? embedded(v4From(at(6) ^ 0xffff, at(7) ^ 0xffff), "Teredo");
  }
  if (at(0) === 0x2001 && at(1) === 0x0db8) return refuse("reserved"); // documentation
  if (at(0) === 0x2001 && at(1) === 0x0002 && at(2) === 0) return refuse("benchmarking"); // 2001:2::/48
  if (at(0) === 0x2001 && (at(1) & 0xfff0) === 0x0010) return refuse("reserved"); // ORCHID 2001:10::/28
  if (at(0) === 0x2001 && (at(1) & 0xfff0) === 0x0020) return refuse("reserved"); // ORCHIDv2 2001:20::/28
  if (at(0) === 0x3fff && (at(1) & 0xf000) === 0) return refuse("reserved"); // documentation 3fff::/20
  if ((at(0) & 0xfe00) === 0xfc00) return refuse("private"); // unique local fc00::/7
  if ((at(0) & 0xffc0) === 0xfe80) return refuse("link-local");
  if ((at(0) & 0xffc0) === 0xfec0) return refuse("private"); // deprecated site-local
  if ((at(0) & 0xff00) === 0xff00) return refuse("multicast");
  // Only 2000::/3 is allocated as global unicast; everything else left is reserved.
  if ((at(0) & 0xe000) !== 0x2000) return refuse("reserved");
  return null;
}
