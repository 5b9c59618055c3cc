import { describe, expect, it } from "vitest";
import { checkDestination, isPrivateAddress } from "../../src/delivery/ssrf";

const strict = { allowHttp: false, allowPrivate: false };
const httpOk = { allowHttp: true, allowPrivate: false };
const privateOk = { allowHttp: false, allowPrivate: true };
const dev = { allowHttp: true, allowPrivate: true };

// `reason` is a fragment the refusal must contain; null means allowed.
type Row = { url: string; reason: string | null };

// Refused in production (strict), with the kind of refusal.
const refusedStrict: Row[] = [
  // loopback, in every IPv4 spelling the WHATWG parser normalises to 127.0.0.1
  { url: "https://127.0.0.1/", reason: "loopback address 127.0.0.1" },
  { url: "https://127.0.0.1:8443/hook", reason: "loopback" },
  { url: "https://127.255.255.254/", reason: "loopback" },
  { url: "https://2130706433/", reason: "loopback address 127.0.0.1" },
  { url: "https://0x7f000001/", reason: "loopback address 127.0.0.1" },
  { url: "https://0x7f.1/", reason: "loopback address 127.0.0.1" },
  { url: "https://0177.0.0.1/", reason: "loopback address 127.0.0.1" },
  { url: "https://0177.0000.0000.0001/", reason: "loopback address 127.0.0.1" },
  { url: "https://127.1/", reason: "loopback address 127.0.0.1" },
  { url: "https://127.0.1/", reason: "loopback address 127.0.0.1" },
  { url: "https://127.0.0.1./", reason: "loopback" },
  { url: "https://%31%32%37.0.0.1/", reason: "loopback" },
  { url: "https://１２７.０.０.１/", reason: "loopback" }, // full-width digits, IDNA-mapped
  // names
  { url: "https://localhost/", reason: "loopback host localhost" },
  { url: "https://LOCALHOST:3000/", reason: "loopback host localhost" },
  { url: "https://localhost./", reason: "loopback host localhost" },
  { url: "https://localhost../", reason: "loopback host localhost" },
  { url: "https://foo.localhost/", reason: "loopback host foo.localhost" },
  { url: "https://a.b.localhost./", reason: "loopback" },
  { url: "https://ｌｏｃａｌｈｏｓｔ/", reason: "loopback host localhost" },
  { url: "https://%6c%6f%63%61%6c%68%6f%73%74/", reason: "loopback host localhost" },
  { url: "https://localhost.localdomain/", reason: "loopback" },
  { url: "https://metadata.google.internal/", reason: "metadata host metadata.google.internal" },
  { url: "https://metadata.google.internal./computeMetadata/v1/", reason: "metadata" },
  { url: "https://metadata/", reason: "metadata host metadata" },
  { url: "https://instance-data/", reason: "metadata host instance-data" },
  { url: "https://db.internal/", reason: "internal host db.internal" },
  { url: "https://printer.local/", reason: "internal host printer.local" },
  { url: "https://router.home.arpa/", reason: "internal" },
  // private, link-local, metadata, CGNAT and the rest of IPv4
  { url: "https://10.0.0.1/", reason: "private address 10.0.0.1 is not allowed" },
  { url: "https://10.255.255.255/", reason: "private" },
  { url: "https://172.16.0.1/", reason: "private address 172.16.0.1" },
  { url: "https://172.31.255.255/", reason: "private" },
  { url: "https://192.168.1.1/", reason: "private address 192.168.1.1" },
  { url: "https://0xc0a80101/", reason: "private address 192.168.1.1" },
  { url: "https://3232235777/", reason: "private address 192.168.1.1" },
  { url: "https://169.254.169.254/latest", reason: "metadata address 169.254.169.254" },
  { url: "https://169.254.169.254/latest/meta-data/iam/", reason: "metadata" },
  { url: "https://2852039166/", reason: "metadata address 169.254.169.254" },
  { url: "https://169.254.1.1/", reason: "link-local address 169.254.1.1" },
  { url: "https://100.64.0.1/", reason: "CGNAT address 100.64.0.1" },
  { url: "https://100.100.100.200/", reason: "CGNAT" }, // Alibaba metadata lives here
  { url: "https://100.127.255.255/", reason: "CGNAT" },
  { url: "https://0.0.0.0/", reason: "unspecified address 0.0.0.0" },
  { url: "https://0/", reason: "unspecified address 0.0.0.0" },
  { url: "https://0.1.2.3/", reason: "unspecified" },
  { url: "https://224.0.0.1/", reason: "multicast" },
  { url: "https://239.255.255.250/", reason: "multicast" },
  { url: "https://240.0.0.1/", reason: "reserved" },
  { url: "https://255.255.255.255/", reason: "broadcast" },
  { url: "https://198.18.0.1/", reason: "benchmarking" },
  { url: "https://198.19.255.255/", reason: "benchmarking" },
  { url: "https://192.0.2.1/", reason: "reserved" },
  // IPv6
  { url: "https://[::1]/", reason: "loopback address ::1" },
  { url: "https://[0:0:0:0:0:0:0:1]/", reason: "loopback" },
  { url: "https://[::]/", reason: "unspecified" },
  { url: "https://[::ffff:127.0.0.1]/", reason: "IPv4-mapped loopback" },
  { url: "https://[::ffff:7f00:1]/", reason: "IPv4-mapped loopback" },
  { url: "https://[0:0:0:0:0:ffff:7f00:0001]/", reason: "loopback" },
  { url: "https://[::ffff:10.0.0.1]/", reason: "IPv4-mapped private" },
  { url: "https://[::ffff:a9fe:a9fe]/", reason: "169.254.169.254" },
  { url: "https://[::ffff:0:127.0.0.1]/", reason: "loopback" },
  { url: "https://[::127.0.0.1]/", reason: "reserved" }, // deprecated IPv4-compatible
  { url: "https://[fe80::1]/", reason: "link-local address fe80::1" },
  { url: "https://[febf::1]/", reason: "link-local" },
  { url: "https://[fd00::1]/", reason: "private address fd00::1" },
  { url: "https://[fc00::1]/", reason: "private" },
  { url: "https://[fd00:ec2::254]/", reason: "private" }, // AWS IMDS over IPv6
  { url: "https://[fec0::1]/", reason: "private" },
  { url: "https://[ff02::1]/", reason: "multicast" },
  { url: "https://[64:ff9b::10.0.0.1]/", reason: "NAT64 private" },
  { url: "https://[64:ff9b::7f00:1]/", reason: "NAT64 loopback" },
  { url: "https://[64:ff9b:1::1]/", reason: "private" },
  { url: "https://[2002:7f00:1::]/", reason: "6to4 loopback" },
  { url: "https://[2002:c0a8:101::1]/", reason: "6to4 private" },
  { url: "https://[2001:0:a9fe:a9fe::1]/", reason: "Teredo metadata" },
  { url: "https://[2001:db8::1]/", reason: "reserved" },
  { url: "https://[100::1]/", reason: "reserved" },
  // scheme, credentials, shape
  { url: "http://example.com/", reason: "http URLs are not allowed" },
  { url: "ftp://example.com/", reason: "scheme ftp is not allowed; the URL must start with https://" },
  { url: "file:///etc/passwd", reason: "scheme file is not allowed" },
  { url: "gopher://example.com/", reason: "scheme gopher" },
  { url: "javascript:alert(1)", reason: "scheme javascript" },
  { url: "data:text/plain,hi", reason: "scheme data" },
  { url: "ws://example.com/", reason: "scheme ws" },
  { url: "https://user:pw@example.com/", reason: "credentials" },
  { url: "https://user@example.com/", reason: "credentials" },
  { url: "https://:pw@example.com/", reason: "credentials" },
  { url: "example.com/hook", reason: "not a valid absolute URL; it must start with https://" },
  {
    url: "localhost:4000/webhooks",
    reason: 'the URL must start with https://; "localhost:4000/webhooks" has no scheme',
  },
  { url: "example.com:8080/hook", reason: "the URL must start with https://;" },
  { url: "https://", reason: "not a valid absolute URL" },
  { url: "https://exa mple.com/", reason: "not a valid absolute URL" },
  { url: "https://[::1/", reason: "not a valid absolute URL" },
  { url: "https://1.2.3.256/", reason: "not a valid absolute URL" },
  { url: "", reason: "not a valid absolute URL" },
  { url: "https://example.com/" + "a".repeat(2048), reason: "longer than 2048" },
];

// Allowed in production.
const allowedStrict: string[] = [
  "https://example.com/hook",
  "https://example.com:8443/hook?x=1#frag",
  "https://EXAMPLE.com./hook",
  "https://8.8.8.8/",
  "https://1.1.1.1:443/",
  "https://134744072/", // 8.8.8.8 in decimal: fine, it is public
  "https://172.15.255.255/", // just below 172.16/12
  "https://172.32.0.1/", // just above
  "https://100.63.255.255/", // just below CGNAT
  "https://100.128.0.1/", // just above
  "https://169.253.255.255/",
  "https://198.17.255.255/",
  "https://198.20.0.1/",
  "https://11.0.0.1/",
  "https://223.255.255.255/",
  "https://[2606:4700:4700::1111]/",
  "https://[2001:4860:4860::8888]/",
  "https://[::ffff:8.8.8.8]/", // IPv4-mapped public address
  "https://[64:ff9b::808:808]/", // NAT64 of a public address
  "https://[2002:808:808::1]/", // 6to4 of a public address
  "https://hooks.localhost.example.com/", // "localhost" only as a suffix label counts
  "https://internal.example.com/",
  "https://mylocalhost/",
  "https://metadata.example.com/",
  "https://xn--bcher-kva.example/", // IDN
  "https://bücher.example/",
  "https://example.com/" + "a".repeat(2048 - "https://example.com/".length),
];

describe("checkDestination in production", () => {
  it("covers enough spellings", () => {
    expect(refusedStrict.length + allowedStrict.length).toBeGreaterThanOrEqual(40);
  });

  it.each(refusedStrict)("refuses $url", ({ url, reason }) => {
    const result = checkDestination(url, strict);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.reason).toContain(reason);
      expect(result.reason.length).toBeLessThan(200); // short and human-readable, never the whole URL
    }
  });

  it.each(allowedStrict)("allows %s", (url) => {
    const result = checkDestination(url, strict);
    expect(result).toMatchObject({ ok: true });
    if (result.ok) expect(result.url).toBeInstanceOf(URL);
  });
});

describe("checkDestination with development switches", () => {
  it.each<{ url: string; opts: typeof strict; ok: boolean; reason?: string }>([
    { url: "http://example.com/", opts: httpOk, ok: true },
    { url: "http://example.com/", opts: privateOk, ok: false, reason: "http URLs are not allowed" },
    { url: "http://example.com/", opts: dev, ok: true },
    { url: "http://127.0.0.1:8787/hook", opts: httpOk, ok: false, reason: "loopback" },
    { url: "http://127.0.0.1:8787/hook", opts: privateOk, ok: false, reason: "http" },
    { url: "http://127.0.0.1:8787/hook", opts: dev, ok: true },
    { url: "https://127.0.0.1/", opts: privateOk, ok: true },
    { url: "https://localhost/", opts: privateOk, ok: true },
    { url: "https://10.0.0.1/", opts: privateOk, ok: true },
    { url: "https://169.254.169.254/latest", opts: privateOk, ok: true },
    { url: "https://[::1]/", opts: privateOk, ok: true },
    { url: "https://foo.internal/", opts: privateOk, ok: true },
    { url: "http://localhost:3000/", opts: dev, ok: true },
    // The switches never lift the rules that are not about the network.
    { url: "ftp://example.com/", opts: dev, ok: false, reason: "scheme ftp" },
    { url: "https://user:pw@example.com/", opts: dev, ok: false, reason: "credentials" },
    { url: "http://user:pw@localhost/", opts: dev, ok: false, reason: "credentials" },
    { url: "https://example.com/" + "a".repeat(3000), opts: dev, ok: false, reason: "2048" },
    { url: "not a url", opts: dev, ok: false, reason: "not a valid" },
  ])("$url with $opts → $ok", ({ url, opts, ok, reason }) => {
    const result = checkDestination(url, opts);
    expect(result.ok).toBe(ok);
    if (!result.ok && reason) expect(result.reason).toContain(reason);
  });

  it("refuses an URL whose encoded form exceeds the limit", () => {
    const raw = "https://example.com/" + " ".repeat(1000); // each space becomes %20
    expect(checkDestination(raw + "x", strict)).toEqual({ ok: false, reason: "URL is longer than 2048 characters" });
  });
});

describe("isPrivateAddress", () => {
  it.each<{ host: string; expected: boolean }>([
    { host: "127.0.0.1", expected: true },
    { host: "127.1", expected: true },
    { host: "2130706433", expected: true },
    { host: "10.1.2.3", expected: true },
    { host: "192.168.0.10", expected: true },
    { host: "172.20.0.1", expected: true },
    { host: "169.254.169.254", expected: true },
    { host: "100.64.1.1", expected: true },
    { host: "0.0.0.0", expected: true },
    { host: "::1", expected: true },
    { host: "[::1]", expected: true },
    { host: "::", expected: true },
    { host: "::ffff:127.0.0.1", expected: true },
    { host: "::ffff:7f00:1", expected: true },
    { host: "fe80::1", expected: true },
    { host: "fd12:3456::1", expected: true },
    { host: "localhost", expected: true },
    { host: "localhost.", expected: true },
    { host: "metadata.google.internal", expected: true },
    { host: "not a host", expected: true }, // unparsable: fail closed
    { host: "8.8.8.8", expected: false },
    { host: "1.1.1.1", expected: false },
    { host: "2606:4700:4700::1111", expected: false },
    { host: "::ffff:8.8.8.8", expected: false },
    { host: "example.com", expected: false },
  ])("$host → $expected", ({ host, expected }) => {
    expect(isPrivateAddress(host)).toBe(expected);
  });
});
