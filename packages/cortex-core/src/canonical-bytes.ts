import { CANONICAL_JSON_MAX_DEPTH, INVALID, refuse, type WellFormedCheck } from "./canonical-json.js";

/*
 * RFC 8785 canonical JSON written straight into UTF-8 bytes, for hashing.
 * Same rules and refusals as `canonicalJson` (the tests hold the two to
 * byte equality); building bytes directly skips the string concatenation
 * and the re-encoding that hashing a string would need.
 */

const QUOTE = 0x22;
const COMMA = 0x2c;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
/** Strings at least this long are encoded with `encodeInto` and scanned a word at a time. */
const LONG_STRING = 256;
const KEY_CACHE_MAX = 4096;
// eslint-disable-next-line no-control-regex -- RFC 8785 escapes exactly the controls, the quote and the backslash
const NEEDS_ESCAPE = /["\\\u0000-\u001f]/;
const LITERAL_TRUE = [0x74, 0x72, 0x75, 0x65] as const;
const LITERAL_FALSE = [0x66, 0x61, 0x6c, 0x73, 0x65] as const;
const LITERAL_NULL = [0x6e, 0x75, 0x6c, 0x6c] as const;

/** 1 for ASCII code units a JSON string can hold unescaped. */
const PLAIN_ASCII = new Uint8Array(128);
for (let c = 0x20; c < 0x80; c++) PLAIN_ASCII[c] = c === QUOTE || c === BACKSLASH ? 0 : 1;

const encoder = new TextEncoder();
/** `"name":` as UTF-8, per member name, shared by all writers. */
const keyBytes = new Map<string, Uint8Array>();

function memberPrefix(key: string): Uint8Array {
  let bytes = keyBytes.get(key);
  if (bytes === undefined) {
    if (!(key as unknown as WellFormedCheck).isWellFormed()) throw INVALID;
    bytes = encoder.encode(`${JSON.stringify(key)}:`);
    if (keyBytes.size < KEY_CACHE_MAX) keyBytes.set(key, bytes);
  }
  return bytes;
}

/** True when bytes[start, end) hold a control character, `"` or `\` (UTF-8 continuation bytes are ≥ 0x80). */
function needsEscape(bytes: Uint8Array, words: Uint32Array, start: number, end: number): boolean {
  let i = start;
  const byteAt = (at: number) => bytes[at] ?? 0;
  for (; i < end && (i & 3) !== 0; i++) {
    const c = byteAt(i);
    if (c < 0x20 || c === QUOTE || c === BACKSLASH) return true;
  }
  const lastWord = end >>> 2;
  for (let w = i >>> 2; w < lastWord; w++) {
    const x = words[w] ?? 0;
    const quote = x ^ 0x22222222;
    const backslash = x ^ 0x5c5c5c5c;
    // "Has a byte below 0x20" and "has a zero byte" word tricks (exact as booleans).
    if ((((x - 0x20202020) & ~x) | ((quote - 0x01010101) & ~quote) | ((backslash - 0x01010101) & ~backslash)) & 0x80808080) {
      return true;
    }
  }
  for (i = Math.max(i, lastWord << 2); i < end; i++) {
    const c = byteAt(i);
    if (c < 0x20 || c === QUOTE || c === BACKSLASH) return true;
  }
  return false;
}

class CanonicalByteWriter {
  buf = new Uint8Array(1 << 16);
  words = new Uint32Array(this.buf.buffer);
  len = 0;
  busy = false;

  reserve(extra: number): void {
    const need = this.len + extra;
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
    this.words = new Uint32Array(next.buffer);
  }

  byte(b: number): void {
    this.reserve(1);
    this.buf[this.len++] = b;
  }

  bytes(src: ArrayLike<number>): void {
    const n = src.length;
    this.reserve(n);
    const buf = this.buf;
    let at = this.len;
    for (let i = 0; i < n; i++) buf[at++] = src[i] ?? 0;
    this.len = at;
  }

  /** Any text, UTF-8 encoded. */
  text(text: string): void {
    this.reserve(text.length * 3);
    this.len += encoder.encodeInto(text, this.buf.subarray(this.len)).written;
  }

  string(value: string): void {
    if (!(value as unknown as WellFormedCheck).isWellFormed()) throw INVALID;
    const n = value.length;
    if (n < LONG_STRING) {
      this.reserve(n + 2);
      const buf = this.buf;
      let at = this.len;
      buf[at++] = QUOTE;
      for (let i = 0; i < n; i++) {
        const c = value.charCodeAt(i);
        if (PLAIN_ASCII[c] !== 1) {
          // Not plain ASCII: let the engine escape and encode it.
          this.text(NEEDS_ESCAPE.test(value) ? JSON.stringify(value) : `"${value}"`);
          return;
        }
        buf[at++] = c;
      }
      buf[at++] = QUOTE;
      this.len = at;
      return;
    }
    this.reserve(n * 3 + 2);
    const start = this.len;
    this.buf[start] = QUOTE;
    const written = encoder.encodeInto(value, this.buf.subarray(start + 1)).written;
    if (needsEscape(this.buf, this.words, start + 1, start + 1 + written)) {
      this.text(JSON.stringify(value));
      return;
    }
    this.len = start + 1 + written;
    this.buf[this.len++] = QUOTE;
  }

  value(value: unknown, depth: number): void {
    switch (typeof value) {
      case "string":
        this.string(value);
        return;
      case "number":
        if (!Number.isFinite(value)) throw INVALID;
        // Number#toString is RFC 8785's number form (ASCII; -0 prints as 0).
        this.bytesOfAscii(String(value));
        return;
      case "boolean":
        this.bytes(value ? LITERAL_TRUE : LITERAL_FALSE);
        return;
      case "object": {
        if (value === null) {
          this.bytes(LITERAL_NULL);
          return;
        }
        if (depth >= CANONICAL_JSON_MAX_DEPTH) throw INVALID; // also how a cycle shows up
        if (Array.isArray(value)) {
          this.byte(0x5b);
          const length = value.length;
          for (let i = 0; i < length; i++) {
            const item: unknown = value[i];
            if (item === undefined) throw INVALID; // also catches holes
            if (i > 0) this.byte(COMMA);
            this.value(item, depth + 1);
          }
          this.byte(0x5d);
          return;
        }
        const proto: unknown = Object.getPrototypeOf(value);
        if (proto !== Object.prototype && proto !== null) throw INVALID;
        const keys = Object.keys(value);
        const count = keys.length;
        // UTF-16 code unit order (RFC 8785 §3.2.3); insertion sort for small objects.
        if (count <= 16) {
          for (let i = 1; i < count; i++) {
            const key = keys[i] ?? "";
            let j = i - 1;
            let other = keys[j];
            while (other !== undefined && other > key) {
              keys[j + 1] = other;
              j--;
              other = j >= 0 ? keys[j] : undefined;
            }
            keys[j + 1] = key;
          }
        } else {
          keys.sort();
        }
        this.byte(0x7b);
        for (let i = 0; i < count; i++) {
          const key = keys[i] ?? "";
          const member: unknown = (value as Record<string, unknown>)[key];
          if (member === undefined) throw INVALID;
          // One reservation for the comma and `"name":`, then plain stores;
          // names that are not plain ASCII go through the cached encoder.
          const n = key.length;
          this.reserve(n + 4);
          const buf = this.buf;
          let at = this.len;
          if (i > 0) buf[at++] = COMMA;
          buf[at++] = QUOTE;
          let plain = true;
          for (let k = 0; k < n; k++) {
            const c = key.charCodeAt(k);
            if (PLAIN_ASCII[c] !== 1) {
              plain = false;
              break;
            }
            buf[at++] = c;
          }
          if (plain) {
            buf[at++] = QUOTE;
            buf[at++] = COLON;
            this.len = at;
          } else {
            this.len = i > 0 ? this.len + 1 : this.len;
            this.bytes(memberPrefix(key));
          }
          this.value(member, depth + 1);
        }
        this.byte(0x7d);
        return;
      }
      default:
        throw INVALID; // undefined, bigint, function, symbol
    }
  }

  bytesOfAscii(text: string): void {
    const n = text.length;
    this.reserve(n);
    const buf = this.buf;
    let at = this.len;
    for (let i = 0; i < n; i++) buf[at++] = text.charCodeAt(i);
    this.len = at;
  }
}

const shared = new CanonicalByteWriter();

/**
 * Runs `use` on the canonical UTF-8 bytes of `value`. The bytes are a view
 * into a reused buffer, valid only during `use`. Throws `CortexCoreError`
 * (`NotCanonicalizable`) like `canonicalJson`.
 */
export function withCanonicalBytes<T>(value: unknown, use: (bytes: Uint8Array) => T): T {
  // A getter inside the value could re-enter; it then gets its own writer.
  const writer = shared.busy ? new CanonicalByteWriter() : shared;
  writer.busy = true;
  writer.len = 0;
  try {
    writer.value(value, 0);
  } catch (error) {
    writer.busy = false;
    return refuse(value, error);
  }
  try {
    return use(writer.buf.subarray(0, writer.len));
  } finally {
    writer.busy = false;
    // Do not keep a huge buffer alive after one huge payload.
    if (writer === shared && writer.buf.length > 1 << 24) {
      writer.buf = new Uint8Array(1 << 16);
      writer.words = new Uint32Array(writer.buf.buffer);
    }
  }
}

/** `canonicalJson(value)` as UTF-8 bytes (a fresh copy). */
export function canonicalJsonBytes(value: unknown): Uint8Array {
  return withCanonicalBytes(value, (bytes) => bytes.slice());
}
