import { createBLAKE3, type IHasher } from "hash-wasm";
import { CortexCoreError, describeValue } from "./errors.js";

/**
 * The package's one BLAKE3 path (hash-wasm). Other packages hash through
 * `blake3Hex` / `loadBlake3` rather than importing a BLAKE3 library of their own.
 */
export interface Blake3 {
  /** Lowercase hex BLAKE3-256 of the bytes, or of the UTF-8 encoding of a string. */
  readonly hex: (data: Uint8Array | string) => string;
  /** Raw 32-byte BLAKE3-256 digest (a fresh array). Both functions can be passed around unbound. */
  readonly digest: (data: Uint8Array | string) => Uint8Array;
}

let loading: Promise<Blake3> | undefined;
/** The loaded instance, so `blake3Hex` skips an await once the WASM is compiled. */
let loaded: Blake3 | undefined;

/** Strings up to this many UTF-16 units are encoded into a reused buffer (larger ones get their own). */
const SCRATCH_MAX_UNITS = 1 << 22;

function wrap(hasher: IHasher): Blake3 {
  const encoder = new TextEncoder();
  let scratch = new Uint8Array(1 << 16);
  // UTF-8 of a string into reused memory: TextEncoder#encodeInto is much
  // faster than hash-wasm's own string path for long inputs.
  const bytesOf = (data: Uint8Array | string): Uint8Array => {
    if (typeof data !== "string") return data;
    const maxBytes = data.length * 3;
    if (data.length > SCRATCH_MAX_UNITS) return encoder.encode(data);
    if (maxBytes > scratch.length) scratch = new Uint8Array(Math.max(maxBytes, scratch.length * 2));
    return scratch.subarray(0, encoder.encodeInto(data, scratch).written);
  };
  // The WASM instance is stateful, but every call below runs init → update →
  // digest synchronously, so interleaving callers cannot observe each other.
  // Binary digest + a byte→hex table is faster than hash-wasm's hex output.
  return {
    hex: (data) => bytesToHex(hasher.init().update(bytesOf(data)).digest("binary")),
    digest: (data) => hasher.init().update(bytesOf(data)).digest("binary"),
  };
}

/**
 * Resolves to a synchronous BLAKE3 hasher once the WASM module is compiled
 * (first call only; later calls return the same instance). Use it on hot paths
 * to hash many inputs without a promise per hash.
 */
export function loadBlake3(): Promise<Blake3> {
  loading ??= createBLAKE3().then(
    (hasher) => (loaded = wrap(hasher)),
    (error: unknown) => {
      loading = undefined;
      throw error;
    },
  );
  return loading;
}

/** Lowercase hex BLAKE3-256 of bytes or of a string's UTF-8 encoding (Rust `blake3_hex`). */
export function blake3Hex(data: Uint8Array | string): Promise<string> {
  const blake3 = loaded;
  if (blake3 === undefined) return loadBlake3().then((b3) => b3.hex(data));
  return new Promise<string>((resolve) => {
    resolve(blake3.hex(data));
  });
}

const HEX_DIGITS = "0123456789abcdef";
const HEX_VALUES = new Int8Array(128).fill(-1);
for (let i = 0; i < 16; i++) HEX_VALUES[HEX_DIGITS.charCodeAt(i)] = i;

/** A 32-byte digest as lowercase hex, the only form stored on the wire. */
export const HASH_HEX_RE = /^[0-9a-f]{64}$/;

/** True when `value` is 64 lowercase hex characters. */
export function isHashHex(value: unknown): value is string {
  return typeof value === "string" && HASH_HEX_RE.test(value);
}

/**
 * Decodes a 64-character lowercase hex digest into `target` at `offset`.
 * Throws `CortexCoreError` (`InvalidHash`) naming `what` when malformed.
 */
export function decodeHashHex(hex: string, target: Uint8Array, offset: number, what: string): void {
  if (typeof hex !== "string" || hex.length !== 64) {
    throw new CortexCoreError("InvalidHash", `${what} must be 64 lowercase hex characters, got ${describeValue(hex)}`);
  }
  for (let i = 0; i < 32; i++) {
    const hi = HEX_VALUES[hex.charCodeAt(2 * i)] ?? -1;
    const lo = HEX_VALUES[hex.charCodeAt(2 * i + 1)] ?? -1;
    if (hi < 0 || lo < 0) {
      throw new CortexCoreError("InvalidHash", `${what} must be 64 lowercase hex characters, got ${describeValue(hex)}`);
    }
    target[offset + i] = (hi << 4) | lo;
  }
}

const BYTE_HEX = Array.from({ length: 256 }, (_, byte) => HEX_DIGITS.charAt(byte >> 4) + HEX_DIGITS.charAt(byte & 15));

/** Lowercase hex of arbitrary bytes. */
export function bytesToHex(bytes: Uint8Array): string {
  let out = "";
  // eslint-disable-next-line @typescript-eslint/prefer-for-of -- indexed is faster on this hot path
  for (let i = 0; i < bytes.length; i++) out += BYTE_HEX[bytes[i] ?? 0] ?? "";
  return out;
}
