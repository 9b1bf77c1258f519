import { bytesToHex, decodeHashHex, isHashHex, loadBlake3, type Blake3 } from "./blake3.js";
import { withCanonicalBytes } from "./canonical-bytes.js";
import { CortexCoreError, describeValue } from "./errors.js";
import { cortexEventFromWire, type CortexEvent } from "./event.js";

/** Domain tag byte that starts every event-hash preimage (cortex-ledger `DOMAIN_TAG_EVENT_HASH`). */
export const EVENT_HASH_DOMAIN_TAG = 0x01;

/** Why a chain failed to verify at `firstBadIndex`. */
export type ChainFailure =
  /** The entry is not an object with a payload and hash fields. */
  | "malformed_event"
  /** `payloadHash`/`eventHash`/`prevEventHash` is not 64 lowercase hex (or the event is unsealed). */
  | "malformed_hash"
  /** The payload cannot be canonicalized (NaN, undefined, …). */
  | "payload_not_canonical"
  /** `payloadHash` ≠ BLAKE3 of the canonical payload. */
  | "payload_hash_mismatch"
  /** `prevEventHash` ≠ the previous event's `eventHash` (or non-null at genesis). */
  | "prev_hash_mismatch"
  /** `eventHash` ≠ BLAKE3 of the framed (prev, payload) hashes. */
  | "event_hash_mismatch";

export interface ChainVerification {
  ok: boolean;
  /** Number of events that verified (all of them when `ok`). */
  count: number;
  /** Index of the first event that did not verify. */
  firstBadIndex?: number;
  failure?: ChainFailure;
  /** Human-readable explanation naming the event, the field and both values. */
  reason?: string;
  /** `eventHash` of the last verified event (`null` for an empty chain without `expectedPrevHash`). */
  lastEventHash: string | null;
}

export interface VerifyChainOptions {
  /**
   * The `eventHash` the first event must point at: `null` (default) means the
   * first event is the genesis; a hash lets a chain segment be verified.
   */
  expectedPrevHash?: string | null;
}

/** Anything `sealEvent` accepts as the previous link: a sealed event, its hash, or `null` for genesis. */
export type PreviousLink = Pick<CortexEvent, "eventHash"> | string | null;

/**
 * Synchronous hashing over one loaded BLAKE3 instance. Obtain it once with
 * `createCortexHasher()` and use it where many events are hashed (ledger
 * append/verify); the top-level async functions delegate to a shared one.
 */
export interface CortexHasher {
  /** Lowercase hex BLAKE3-256 of bytes or of a string's UTF-8 encoding. */
  blake3Hex(data: Uint8Array | string): string;
  /** Hex BLAKE3 of `canonicalJson(payload)`. */
  payloadHash(payload: unknown): string;
  /** Hex BLAKE3 of `0x01 ‖ u64le(len prev) ‖ prev raw ‖ u64le(32) ‖ payload raw` (no prev bytes at genesis). */
  eventHash(prevEventHash: string | null, payloadHash: string): string;
  /** A copy of `event` with `payloadHash`, `prevEventHash` and `eventHash` filled. */
  sealEvent<E extends CortexEvent>(event: E, prev: PreviousLink): E;
  /** Verifies payload hashes, links and event hashes; reports the first broken index and why. */
  verifyChain(events: Iterable<CortexEvent>, options?: VerifyChainOptions): ChainVerification;
}

function makeHasher(blake3: Blake3): CortexHasher {
  // 1 tag byte + 8 length bytes + 32 prev bytes + 8 length bytes + 32 payload bytes.
  const frame = new Uint8Array(81);
  const genesis = frame.subarray(0, 49);
  const scratch = new Uint8Array(32);

  /** BLAKE3 of the framing, from raw digests (`prev` null at genesis). */
  const frameDigest = (prev: Uint8Array | null, payload: Uint8Array): Uint8Array => {
    frame.fill(0);
    frame[0] = EVENT_HASH_DOMAIN_TAG;
    if (prev === null) {
      // u64le(0), no prev bytes, then u64le(32) ‖ payload.
      genesis[9] = 32;
      genesis.set(payload, 17);
      return blake3.digest(genesis);
    }
    frame[1] = 32;
    frame.set(prev, 9);
    frame[41] = 32;
    frame.set(payload, 49);
    return blake3.digest(frame);
  };

  const decode = (hex: string, what: string): Uint8Array => {
    const out = new Uint8Array(32);
    decodeHashHex(hex, out, 0, what);
    return out;
  };

  const eventHash = (prevEventHash: string | null, payloadHash: string): string => {
    decodeHashHex(payloadHash, scratch, 0, "payload hash");
    const prev = prevEventHash === null ? null : decode(prevEventHash, "previous event hash");
    return bytesToHex(frameDigest(prev, scratch));
  };

  const payloadDigest = (payload: unknown): Uint8Array => withCanonicalBytes(payload, blake3.digest);
  const payloadHash = (payload: unknown): string => bytesToHex(payloadDigest(payload));

  const prevHashOf = (prev: PreviousLink): string | null => {
    if (prev === null) return null;
    const hash = typeof prev === "string" ? prev : (prev as { eventHash?: unknown } | undefined)?.eventHash;
    if (!isHashHex(hash)) {
      throw new CortexCoreError(
        "InvalidHash",
        `previous link must be a sealed event or a 64-hex event hash, got ${describeValue(typeof prev === "string" ? prev : hash)}`,
      );
    }
    return hash;
  };

  const sealEvent = <E extends CortexEvent>(event: E, prev: PreviousLink): E => {
    const prevEventHash = prevHashOf(prev);
    const digest = payloadDigest(event.payload);
    const prevDigest = prevEventHash === null ? null : decode(prevEventHash, "previous event hash");
    return {
      ...event,
      payloadHash: bytesToHex(digest),
      prevEventHash,
      eventHash: bytesToHex(frameDigest(prevDigest, digest)),
    };
  };

  const verifyChain = (events: Iterable<CortexEvent>, options: VerifyChainOptions = {}): ChainVerification => {
    let expectedPrev = options.expectedPrevHash ?? null;
    if (expectedPrev !== null && !isHashHex(expectedPrev)) {
      throw new CortexCoreError("InvalidHash", `expectedPrevHash must be 64 lowercase hex characters, got ${describeValue(expectedPrev)}`);
    }
    // The previous event's digest in raw form, so no hash is hex-decoded in the loop.
    let prevDigest = expectedPrev === null ? null : decode(expectedPrev, "expectedPrevHash");
    let index = 0;
    let label = "";
    const broken = (failure: ChainFailure, reason: string): ChainVerification => ({
      ok: false,
      count: index,
      firstBadIndex: index,
      failure,
      reason: `event ${index}${label}: ${reason}`,
      lastEventHash: expectedPrev,
    });
    for (const event of events) {
      label = "";
      if (typeof event !== "object" || event === null || !("payload" in event)) {
        return broken("malformed_event", `not an event object: ${describeValue(event)}`);
      }
      label = typeof event.id === "string" ? ` (${event.id})` : "";
      const { payloadHash: storedPayload, eventHash: storedEvent, prevEventHash: storedPrev } = event;
      // Syntax is only examined when a comparison fails: a stored hash equal
      // to a freshly computed one is well-formed by construction.
      let digest: Uint8Array;
      try {
        digest = payloadDigest(event.payload);
      } catch (error) {
        if (!(error instanceof CortexCoreError)) throw error;
        return broken("payload_not_canonical", `payload cannot be canonicalized: ${error.message}`);
      }
      const computedPayload = bytesToHex(digest);
      if (computedPayload !== storedPayload) {
        return isHashHex(storedPayload)
          ? broken("payload_hash_mismatch", `payload hash ${storedPayload} does not match the payload (computed ${computedPayload})`)
          : broken("malformed_hash", `payload hash is not 64 lowercase hex: ${describeValue(storedPayload)}`);
      }
      if (storedPrev !== expectedPrev) {
        return storedPrev !== null && !isHashHex(storedPrev)
          ? broken("malformed_hash", `previous event hash is not null or 64 lowercase hex: ${describeValue(storedPrev)}`)
          : broken("prev_hash_mismatch", `previous event hash is ${storedPrev ?? "null"}, expected ${expectedPrev ?? "null (genesis)"}`);
      }
      const eventDigest = frameDigest(prevDigest, digest);
      const computedEvent = bytesToHex(eventDigest);
      if (computedEvent !== storedEvent) {
        return isHashHex(storedEvent)
          ? broken("event_hash_mismatch", `event hash ${storedEvent} does not match its framing (computed ${computedEvent})`)
          : broken("malformed_hash", `event hash is not 64 lowercase hex: ${describeValue(storedEvent)}`);
      }
      expectedPrev = storedEvent;
      prevDigest = eventDigest;
      index++;
    }
    return { ok: true, count: index, lastEventHash: expectedPrev };
  };

  return { blake3Hex: (data) => blake3.hex(data), payloadHash, eventHash, sealEvent, verifyChain };
}

let shared: Promise<CortexHasher> | undefined;
/** The shared hasher once loaded, so the async wrappers below skip an await. */
let ready: CortexHasher | undefined;

/** Resolves to a synchronous `CortexHasher` (BLAKE3 WASM compiled once per process). */
export function createCortexHasher(): Promise<CortexHasher> {
  shared ??= loadBlake3().then(
    (blake3) => (ready = makeHasher(blake3)),
    (error: unknown) => {
      shared = undefined;
      throw error;
    },
  );
  return shared;
}

/** Runs `use` with the shared hasher; a throw becomes a rejection, never a synchronous throw. */
function withHasher<T>(use: (hasher: CortexHasher) => T): Promise<T> {
  const hasher = ready;
  if (hasher === undefined) return createCortexHasher().then(use);
  return new Promise<T>((resolve) => {
    resolve(use(hasher));
  });
}

/** Hex BLAKE3 of `canonicalJson(payload)`; rejects with `CortexCoreError` (`NotCanonicalizable`). */
export function payloadHash(payload: unknown): Promise<string> {
  return withHasher((hasher) => hasher.payloadHash(payload));
}

/**
 * Hex BLAKE3 over `0x01 ‖ u64le(len prev) ‖ prev raw ‖ u64le(32) ‖ payload raw`,
 * with length 0 and no bytes for `prev` at genesis (`null`). Throws
 * `CortexCoreError` (`InvalidHash`) when a hash is not 64 lowercase hex.
 */
export function eventHash(prevEventHash: string | null, payloadHashHex: string): Promise<string> {
  return withHasher((hasher) => hasher.eventHash(prevEventHash, payloadHashHex));
}

/** A copy of `event`, sealed after `prev` (a sealed event, its event hash, or `null` for genesis). */
export function sealEvent<E extends CortexEvent>(event: E, prev: PreviousLink): Promise<E> {
  return withHasher((hasher) => hasher.sealEvent(event, prev));
}

/** Verifies a chain; resolves to `{ok, count, firstBadIndex?, failure?, reason?, lastEventHash}`. */
export function verifyChain(events: Iterable<CortexEvent>, options?: VerifyChainOptions): Promise<ChainVerification> {
  return withHasher((hasher) => hasher.verifyChain(events, options));
}

/**
 * Reads an event from its wire form and verifies its hashes: the payload hash
 * against the payload and the event hash against its framing. With
 * `expectedPrevHash` (a hash, or `null` for genesis) the link is checked too.
 * Throws `CortexCoreError` (`InvalidEvent` for a malformed event, `InvalidHash`
 * for an unsealed one or one whose hashes do not verify).
 */
export async function verifiedCortexEventFromWire(
  json: unknown,
  options: { expectedPrevHash?: string | null } = {},
): Promise<CortexEvent> {
  const event = cortexEventFromWire(json);
  const expectedPrevHash = options.expectedPrevHash === undefined ? event.prevEventHash : options.expectedPrevHash;
  const result = (await createCortexHasher()).verifyChain([event], { expectedPrevHash });
  if (!result.ok) {
    throw new CortexCoreError("InvalidHash", `event ${event.id} does not verify: ${result.reason ?? result.failure ?? "unknown"}`);
  }
  return event;
}
