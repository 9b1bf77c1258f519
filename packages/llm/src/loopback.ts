import { isIPv4, isIPv6 } from "node:net";
import type { RuntimeMode } from "@cellos-cortex/cortex-core";

/**
 * Whether a base URL points at this machine: `localhost`, `127.0.0.0/8`, `::1`
 * or an IPv4-mapped loopback (`::ffff:127.x.x.x`), as `cortex_llm::openai_compat`
 * decides its `RuntimeCeiling`. Anything else, including names that merely
 * resolve to loopback, is remote.
 */
export function isLoopbackUrl(url: URL): boolean {
  const host = url.hostname.toLowerCase().replace(/^\[(.*)\]$/, "$1").replace(/\.$/, "");
  if (host === "localhost") return true;
  if (isIPv4(host)) return host.startsWith("127.");
  if (isIPv6(host)) {
    // WHATWG URL parsing already compresses IPv6 (`[0:0:0:0:0:0:0:1]` → `::1`,
    // `::ffff:127.0.0.1` → `::ffff:7f00:1`).
    if (host === "::1") return true;
    const mapped = /^::ffff:([0-9a-f]{1,4}):[0-9a-f]{1,4}$/.exec(host);
    if (mapped?.[1] !== undefined) return Number.parseInt(mapped[1], 16) >> 8 === 127;
  }
  return false;
}

/** `local_unsigned` for a loopback base URL, `remote_unsigned` otherwise (reference §1.6). */
export function runtimeModeForBaseUrl(url: URL): RuntimeMode {
  return isLoopbackUrl(url) ? "local_unsigned" : "remote_unsigned";
}
