/**
 * Egress host patterns (`restrictEgressTo`), the sets of endpoints they
 * denote, and the two operations the meet needs: "does this pattern cover
 * that endpoint set" and "intersection of two patterns". See ADR-0010.
 *
 * Grammar (case-insensitive, stored lowercase):
 *   pattern := host [":" port]
 *   host    := "*"                  any host
 *            | "*." name            any proper subdomain of name (not name itself)
 *            | name                 exactly that DNS name or IPv4 address
 *            | "[" ipv6 "]"         exactly that IPv6 address (as written)
 *   port    := 1–65535             absent = any port
 */
import { isIPv6 } from "node:net";

/** The host part of a pattern or of an egress rule, as a set of hosts. */
export type HostSet =
  | { readonly kind: "any" }
  | { readonly kind: "subdomainsOf"; readonly name: string }
  | { readonly kind: "exact"; readonly name: string }
  /** An egress-rule host we cannot interpret: only `*` covers it. */
  | { readonly kind: "opaque"; readonly raw: string };

/** A parsed `restrictEgressTo` entry: hosts × ports (`port` undefined = every port). */
export interface HostPattern {
  readonly host: Exclude<HostSet, { kind: "opaque" }>;
  readonly port: number | undefined;
}

/** An egress endpoint set as the document states it: one host (maybe a wildcard) on one port. */
export interface EgressEndpoint {
  readonly host: string;
  readonly port: number;
}

const LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,62})$/;
const PORT = /^[1-9][0-9]{0,4}$/;
const MAX_NAME_LENGTH = 253;

function isDnsName(name: string): boolean {
  if (name.length === 0 || name.length > MAX_NAME_LENGTH) return false;
  for (const label of name.split(".")) if (!LABEL.test(label)) return false;
  return true;
}

/** Parses the host part (no port); returns an error message when malformed. */
function parseHost(text: string): HostPattern["host"] | string {
  const host = text.toLowerCase();
  if (host === "*") return { kind: "any" };
  if (host.startsWith("[")) {
    if (!host.endsWith("]")) return `unterminated IPv6 literal ${JSON.stringify(text)}`;
    const inner = host.slice(1, -1);
    return isIPv6(inner) ? { kind: "exact", name: inner } : `invalid IPv6 address ${JSON.stringify(inner)}`;
  }
  if (host.startsWith("*.")) {
    const name = host.slice(2);
    return isDnsName(name)
      ? { kind: "subdomainsOf", name }
      : `invalid wildcard host ${JSON.stringify(text)} (expected "*.<dns name>")`;
  }
  if (host.includes("*")) return `invalid host ${JSON.stringify(text)}: "*" is allowed only as "*" or a leading "*."`;
  return isDnsName(host) ? { kind: "exact", name: host } : `invalid host ${JSON.stringify(text)}`;
}

/** Parses one `restrictEgressTo` entry; returns an error message when malformed. */
export function parseHostPattern(text: string): HostPattern | string {
  let hostText = text;
  let port: number | undefined;
  const lastColon = text.lastIndexOf(":");
  const bracketClose = text.lastIndexOf("]");
  if (lastColon >= 0 && lastColon > bracketClose) {
    if (!text.startsWith("[") && text.indexOf(":") !== lastColon) {
      return `invalid host pattern ${JSON.stringify(text)}: write IPv6 addresses in brackets, e.g. "[::1]:443"`;
    }
    const portText = text.slice(lastColon + 1);
    const value = PORT.test(portText) ? Number(portText) : Number.NaN;
    if (!(value >= 1 && value <= 65535)) {
      return `port ${JSON.stringify(portText)} in ${JSON.stringify(text)} is out of range 1–65535`;
    }
    port = value;
    hostText = text.slice(0, lastColon);
  }
  const host = parseHost(hostText);
  return typeof host === "string" ? host : { host, port };
}

/** Rule hosts repeat across documents; reading one costs a few regex runs, so remember a bounded number. */
const ruleHostCache = new Map<string, HostSet>();
const RULE_HOST_CACHE_SIZE = 4096;

/** The set of hosts an egress rule's `host` names. Anything we cannot read is opaque. */
export function hostSetOfRuleHost(raw: string): HostSet {
  const cached = ruleHostCache.get(raw);
  if (cached !== undefined) return cached;
  const hosts = Object.freeze(readRuleHost(raw));
  if (ruleHostCache.size >= RULE_HOST_CACHE_SIZE) ruleHostCache.clear();
  ruleHostCache.set(raw, hosts);
  return hosts;
}

function readRuleHost(raw: string): HostSet {
  let text = raw;
  if (text.length > 1 && text.endsWith(".") && !text.endsWith("..")) text = text.slice(0, -1);
  if (!text.startsWith("[") && isIPv6(text)) return { kind: "exact", name: text.toLowerCase() };
  const parsed = parseHost(text);
  return typeof parsed === "string" ? { kind: "opaque", raw } : parsed;
}

/** inner ⊆ outer, as sets of hosts. */
export function hostCovers(outer: HostSet, inner: HostSet): boolean {
  switch (outer.kind) {
    case "any":
      return true;
    case "opaque":
      return false;
    case "exact":
      return inner.kind === "exact" && inner.name === outer.name;
    case "subdomainsOf": {
      const suffix = `.${outer.name}`;
      if (inner.kind === "exact") return inner.name.endsWith(suffix);
      if (inner.kind === "subdomainsOf") return inner.name === outer.name || inner.name.endsWith(suffix);
      return false;
    }
  }
}

/** inner ⊆ outer, as sets of endpoints. */
export function patternCovers(outer: HostPattern, inner: HostPattern): boolean {
  return (outer.port === undefined || outer.port === inner.port) && hostCovers(outer.host, inner.host);
}

/** Whether an egress rule's whole endpoint set lies inside the pattern. */
export function patternAdmits(pattern: HostPattern, endpoint: EgressEndpoint): boolean {
  return (
    (pattern.port === undefined || pattern.port === endpoint.port) &&
    hostCovers(pattern.host, hostSetOfRuleHost(endpoint.host))
  );
}

/** p ∩ q as a pattern, or undefined when the two share no endpoint. */
export function intersectPatterns(p: HostPattern, q: HostPattern): HostPattern | undefined {
  let port: number | undefined;
  if (p.port === undefined) port = q.port;
  else if (q.port === undefined || q.port === p.port) port = p.port;
  else return undefined;
  // Host sets of this grammar are nested or disjoint, so the intersection is the smaller one.
  if (hostCovers(p.host, q.host)) return { host: q.host, port };
  if (hostCovers(q.host, p.host)) return { host: p.host, port };
  return undefined;
}

/** The canonical text of a pattern (lowercase, IPv6 in brackets). */
export function formatHostPattern(pattern: HostPattern): string {
  let host: string;
  switch (pattern.host.kind) {
    case "any":
      host = "*";
      break;
    case "subdomainsOf":
      host = `*.${pattern.host.name}`;
      break;
    case "exact":
      host = pattern.host.name.includes(":") ? `[${pattern.host.name}]` : pattern.host.name;
      break;
  }
  return pattern.port === undefined ? host : `${host}:${pattern.port}`;
}

/**
 * The canonical form of an allowlist: no pattern covered by another, no
 * duplicates, sorted by canonical text. Dropping a covered pattern changes
 * nothing an allowlist admits, and equal endpoint sets have equal text, so
 * the meet over canonical allowlists is commutative, associative and
 * idempotent on the representation itself (ADR-0010).
 */
export function canonicalAllowlist(patterns: readonly HostPattern[]): readonly HostPattern[] {
  const byText = new Map<string, HostPattern>();
  for (const pattern of patterns) byText.set(formatHostPattern(pattern), pattern);
  const unique = [...byText.entries()];
  const kept = unique.filter(
    ([text, pattern]) => !unique.some(([otherText, other]) => otherText !== text && patternCovers(other, pattern)),
  );
  kept.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return kept.map(([, pattern]) => pattern);
}

/** A ∩ B for allowlists: every pairwise intersection, canonicalised. */
export function intersectAllowlists(a: readonly HostPattern[], b: readonly HostPattern[]): readonly HostPattern[] {
  const out: HostPattern[] = [];
  for (const p of a) {
    for (const q of b) {
      const both = intersectPatterns(p, q);
      if (both !== undefined) out.push(both);
    }
  }
  return canonicalAllowlist(out);
}
