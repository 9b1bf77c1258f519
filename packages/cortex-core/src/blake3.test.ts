import { blake3 as nobleBlake3 } from "@noble/hashes/blake3.js";
import { bytesToHex as nobleHex } from "@noble/hashes/utils.js";
import fc from "fast-check";
import { createBLAKE3 } from "hash-wasm";
import { describe, expect, it } from "vitest";
import { blake3Hex, bytesToHex, isHashHex, loadBlake3 } from "./blake3.js";

/** The official BLAKE3 input: byte i is i % 251. */
function officialInput(length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = i % 251;
  return bytes;
}

// From BLAKE3-team/BLAKE3 test_vectors/test_vectors.json ("hash", 131-byte extended output;
// the default 32-byte output is its first 64 hex characters).
const OFFICIAL: [number, string][] = [
  [0, "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262e00f03e7b69af26b7faaf09fcd333050338ddfe085b8cc869ca98b206c08243a26f5487789e8f660afe6c99ef9e0c52b92e7393024a80459cf91f476f9ffdbda7001c22e159b402631f277ca96f2defdf1078282314e763699a31c5363165421cce14d"],
  [1, "2d3adedff11b61f14c886e35afa036736dcd87a74d27b5c1510225d0f592e213c3a6cb8bf623e20cdb535f8d1a5ffb86342d9c0b64aca3bce1d31f60adfa137b358ad4d79f97b47c3d5e79f179df87a3b9776ef8325f8329886ba42f07fb138bb502f4081cbcec3195c5871e6c23e2cc97d3c69a613eba131e5f1351f3f1da786545e5"],
  [1023, "10108970eeda3eb932baac1428c7a2163b0e924c9a9e25b35bba72b28f70bd11a182d27a591b05592b15607500e1e8dd56bc6c7fc063715b7a1d737df5bad3339c56778957d870eb9717b57ea3d9fb68d1b55127bba6a906a4a24bbd5acb2d123a37b28f9e9a81bbaae360d58f85e5fc9d75f7c370a0cc09b6522d9c8d822f2f28f485"],
  [1024, "42214739f095a406f3fc83deb889744ac00df831c10daa55189b5d121c855af71cf8107265ecdaf8505b95d8fcec83a98a6a96ea5109d2c179c47a387ffbb404756f6eeae7883b446b70ebb144527c2075ab8ab204c0086bb22b7c93d465efc57f8d917f0b385c6df265e77003b85102967486ed57db5c5ca170ba441427ed9afa684e"],
  [1025, "d00278ae47eb27b34faecf67b4fe263f82d5412916c1ffd97c8cb7fb814b8444f4c4a22b4b399155358a994e52bf255de60035742ec71bd08ac275a1b51cc6bfe332b0ef84b409108cda080e6269ed4b3e2c3f7d722aa4cdc98d16deb554e5627be8f955c98e1d5f9565a9194cad0c4285f93700062d9595adb992ae68ff12800ab67a"],
  [31744, "62b6960e1a44bcc1eb1a611a8d6235b6b4b78f32e7abc4fb4c6cdcce94895c47860cc51f2b0c28a7b77304bd55fe73af663c02d3f52ea053ba43431ca5bab7bfea2f5e9d7121770d88f70ae9649ea713087d1914f7f312147e247f87eb2d4ffef0ac978bf7b6579d57d533355aa20b8b77b13fd09748728a5cc327a8ec470f4013226f"],
];

describe("BLAKE3 — official test vectors, hash-wasm checked against @noble/hashes", () => {
  for (const [length, extended] of OFFICIAL) {
    it(`input length ${length}`, async () => {
      const input = officialInput(length);
      const expected = extended.slice(0, 64);
      expect(await blake3Hex(input)).toBe(expected);
      expect((await loadBlake3()).hex(input)).toBe(expected);
      expect(nobleHex(nobleBlake3(input))).toBe(expected);
      // Extended output (XOF), both implementations.
      const xof = await createBLAKE3(131 * 8);
      expect(xof.init().update(input).digest("hex")).toBe(extended);
      expect(nobleHex(nobleBlake3(input, { dkLen: 131 }))).toBe(extended);
    });
  }
});

describe("blake3Hex", () => {
  it("hashes a string as its UTF-8 bytes", async () => {
    for (const text of ["", "abc", "é€😀", "x".repeat(100_000), "€".repeat(30_000)]) {
      const bytes = new TextEncoder().encode(text);
      expect(await blake3Hex(text)).toBe(nobleHex(nobleBlake3(bytes)));
    }
  });

  it("strings larger than the reusable buffer still hash correctly", async () => {
    const big = "ab€".repeat(1_500_000); // 4.5 M units, past the scratch limit
    expect(await blake3Hex(big)).toBe(nobleHex(nobleBlake3(new TextEncoder().encode(big))));
  });

  it("digest returns the raw 32 bytes", async () => {
    const b3 = await loadBlake3();
    expect(bytesToHex(b3.digest("abc"))).toBe(nobleHex(nobleBlake3(new TextEncoder().encode("abc"))));
  });

  it("property: equals @noble/hashes for arbitrary bytes and strings", async () => {
    const b3 = await loadBlake3();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), fc.string({ unit: "grapheme", maxLength: 200 }), (bytes, text) => {
        expect(b3.hex(bytes)).toBe(nobleHex(nobleBlake3(bytes)));
        expect(b3.hex(text)).toBe(nobleHex(nobleBlake3(new TextEncoder().encode(text))));
      }),
      { numRuns: 150 },
    );
  });

  it("isHashHex accepts exactly 64 lowercase hex characters", () => {
    expect(isHashHex("a".repeat(64))).toBe(true);
    expect(isHashHex("A".repeat(64))).toBe(false);
    expect(isHashHex("a".repeat(63))).toBe(false);
    expect(isHashHex(`${"a".repeat(63)}g`)).toBe(false);
    expect(isHashHex(42)).toBe(false);
  });

  it("bytesToHex is lowercase hex", () => {
    expect(bytesToHex(new Uint8Array([0, 1, 0xab, 0xff]))).toBe("0001abff");
  });
});
