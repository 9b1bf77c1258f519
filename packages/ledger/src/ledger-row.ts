import { isUtf8 } from "node:buffer";
import { sign, verify, type KeyObject } from "node:crypto";
import { CortexCoreError, cortexEventFromWire, type CortexEvent, type CortexHasher } from "@cellos-cortex/cortex-core";

/**
 * One ledger row is one line (ADR 0018):
 *
 *     {"event":E,"row_hash":"H"}                                         unsigned
 *     {"event":E,"key_id":"K","row_hash":"H","signature":"S"}            signed
 *
 * - `E`: the sealed CortexEvent, snake_case wire form, wire field order, compact JSON.
 * - `H`: BLAKE3 hex over `0x02 ‖ E` (the exact bytes of E as written): covers
 *   every field of the event, not only the payload and the chain links that
 *   Cortex's event hash covers.
 * - `S`: Ed25519 signature (hex, 128 chars) over the 32 raw bytes of `H`.
 * - `K`: `keyId(publicKey)` of the signer, 16 hex characters.
 *
 * Keys appear in this fixed order (which is also their sorted order), values
 * are lowercase hex, so the framing is exact and is checked byte for byte.
 */
export const ROW_HASH_DOMAIN_TAG = 0x02;

const PREFIX = '{"event":';
const PREFIX_BYTES = Buffer.from(PREFIX, "latin1");
const SIGNED_SUFFIX_RE = /^,"key_id":"([0-9a-f]{16})","row_hash":"([0-9a-f]{64})","signature":"([0-9a-f]{128})"\}$/;
const UNSIGNED_SUFFIX_RE = /^,"row_hash":"([0-9a-f]{64})"\}$/;
const SIGNED_SUFFIX_BYTES = 11 + 16 + 14 + 64 + 15 + 128 + 2;
const UNSIGNED_SUFFIX_BYTES = 13 + 64 + 2;

/** A decoded row. */
export interface LedgerRow {
  event: CortexEvent;
  rowHash: string;
  /** Present on signed rows. */
  keyId: string | null;
  signature: string | null;
}

export type RowDecoding = { ok: true; row: LedgerRow } | { ok: false; reason: string };

export interface RowSigner {
  privateKey: KeyObject;
  keyId: string;
}

/** Encodes and decodes rows; holds a scratch buffer, so use one per ledger or verifier. */
export class RowCodec {
  readonly #hasher: CortexHasher;
  #scratch = Buffer.allocUnsafe(16 * 1024);

  constructor(hasher: CortexHasher) {
    this.#hasher = hasher;
  }

  #room(bytes: number): Buffer {
    if (this.#scratch.length < bytes + 1) this.#scratch = Buffer.allocUnsafe(Math.max(bytes + 1, this.#scratch.length * 2));
    this.#scratch[0] = ROW_HASH_DOMAIN_TAG;
    return this.#scratch;
  }

  /** BLAKE3 hex of `0x02 ‖ eventBytes`. */
  rowHash(eventBytes: Uint8Array): string {
    const scratch = this.#room(eventBytes.length);
    scratch.set(eventBytes, 1);
    return this.#hasher.blake3Hex(scratch.subarray(0, eventBytes.length + 1));
  }

  /** The complete line (with `\n`) for an event already in wire JSON form. */
  encode(eventJson: string, signer: RowSigner | null): { line: Buffer; rowHash: string } {
    const length = Buffer.byteLength(eventJson, "utf8");
    const scratch = this.#room(length);
    scratch.write(eventJson, 1, "utf8");
    const eventBytes = scratch.subarray(1, length + 1);
    const rowHash = this.#hasher.blake3Hex(scratch.subarray(0, length + 1));
    let suffix: string;
    if (signer === null) {
      suffix = `,"row_hash":"${rowHash}"}\n`;
    } else {
      const signature = sign(null, Buffer.from(rowHash, "hex"), signer.privateKey).toString("hex");
      suffix = `,"key_id":"${signer.keyId}","row_hash":"${rowHash}","signature":"${signature}"}\n`;
    }
    const line = Buffer.allocUnsafe(PREFIX_BYTES.length + length + suffix.length);
    PREFIX_BYTES.copy(line, 0);
    eventBytes.copy(line, PREFIX_BYTES.length);
    line.write(suffix, PREFIX_BYTES.length + length, "latin1");
    return { line, rowHash };
  }

  /**
   * Decodes one line (without its `\n`): exact framing, row hash over the
   * event bytes as stored, UTF-8, JSON, the CortexEvent schema, sealed hashes.
   * Never throws for bad input; says why instead.
   */
  decode(bytes: Buffer): RowDecoding {
    if (bytes.length < PREFIX_BYTES.length + UNSIGNED_SUFFIX_BYTES || !bytes.subarray(0, PREFIX_BYTES.length).equals(PREFIX_BYTES)) {
      return { ok: false, reason: `not a ledger row (expected {"event":…,"row_hash":…}): ${preview(bytes)}` };
    }
    let suffixBytes = UNSIGNED_SUFFIX_BYTES;
    let keyId: string | null = null;
    let signature: string | null = null;
    let rowHash: string;
    const signedMatch =
      bytes.length >= PREFIX_BYTES.length + SIGNED_SUFFIX_BYTES
        ? SIGNED_SUFFIX_RE.exec(bytes.toString("latin1", bytes.length - SIGNED_SUFFIX_BYTES))
        : null;
    if (signedMatch) {
      suffixBytes = SIGNED_SUFFIX_BYTES;
      [, keyId = "", rowHash = "", signature = ""] = signedMatch;
    } else {
      const unsignedMatch = UNSIGNED_SUFFIX_RE.exec(bytes.toString("latin1", bytes.length - UNSIGNED_SUFFIX_BYTES));
      if (!unsignedMatch) {
        return { ok: false, reason: `row does not end with a well-formed "row_hash" (and "key_id"/"signature") suffix: ${preview(bytes)}` };
      }
      [, rowHash = ""] = unsignedMatch;
    }
    const eventBytes = bytes.subarray(PREFIX_BYTES.length, bytes.length - suffixBytes);
    const computed = this.rowHash(eventBytes);
    if (computed !== rowHash) {
      return { ok: false, reason: `row hash ${rowHash} does not match the stored event bytes (computed ${computed})` };
    }
    if (!isUtf8(eventBytes)) return { ok: false, reason: "event bytes are not valid UTF-8" };
    let event: CortexEvent;
    try {
      event = cortexEventFromWire(JSON.parse(eventBytes.toString("utf8")) as unknown);
    } catch (error) {
      if (error instanceof SyntaxError || error instanceof CortexCoreError) {
        return { ok: false, reason: `event is not a valid Cortex event: ${error.message}` };
      }
      throw error;
    }
    if (event.eventHash === "") return { ok: false, reason: `event ${event.id} is not sealed` };
    return { ok: true, row: { event, rowHash, keyId, signature } };
  }
}

/**
 * Checks a row's signature against a public key whose `keyId` is
 * `expectedKeyId`. Returns `undefined` when it verifies, else why not.
 */
export function rowSignatureProblem(row: LedgerRow, publicKey: KeyObject, expectedKeyId: string): string | undefined {
  if (row.signature === null || row.keyId === null) return "row is not signed";
  if (row.keyId !== expectedKeyId) return `row is signed by key ${row.keyId}, expected key ${expectedKeyId}`;
  const valid = verify(null, Buffer.from(row.rowHash, "hex"), publicKey, Buffer.from(row.signature, "hex"));
  return valid ? undefined : `signature does not verify with key ${expectedKeyId}`;
}

function preview(bytes: Buffer): string {
  const text = bytes.toString("utf8", 0, Math.min(bytes.length, 80));
  return JSON.stringify(bytes.length > 80 ? `${text}…` : text);
}
