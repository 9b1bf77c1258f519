import { generateKeyPairSync, sign, verify } from "node:crypto";
import { inspect } from "node:util";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LedgerError } from "./ledger-error.js";
import {
  exportPrivateKeyJwk,
  exportPrivateKeyPem,
  exportPublicKeyJwk,
  exportPublicKeyPem,
  generateSigningKey,
  importPrivateKeyJwk,
  importPrivateKeyPem,
  importPublicKeyJwk,
  importPublicKeyPem,
  keyId,
  publicKeyOf,
  rawPublicKey,
} from "./signing-key.js";

const message = Buffer.from("row hash bytes");

function expectInvalidKey(fn: () => unknown): LedgerError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(LedgerError);
    expect((error as LedgerError).kind).toBe("InvalidKey");
    return error as LedgerError;
  }
  throw new Error("expected an InvalidKey error");
}

describe("signing keys", () => {
  it("generates an Ed25519 key pair whose halves belong together", () => {
    const { privateKey, publicKey } = generateSigningKey();
    expect(privateKey.asymmetricKeyType).toBe("ed25519");
    expect(privateKey.type).toBe("private");
    expect(publicKey.type).toBe("public");
    expect(verify(null, message, publicKey, sign(null, message, privateKey))).toBe(true);
    expect(rawPublicKey(publicKeyOf(privateKey)).equals(rawPublicKey(publicKey))).toBe(true);
  });

  it("round-trips private and public keys through PEM", () => {
    const { privateKey, publicKey } = generateSigningKey();
    const pem = exportPrivateKeyPem(privateKey);
    expect(pem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    const imported = importPrivateKeyPem(pem);
    expect(verify(null, message, publicKey, sign(null, message, imported))).toBe(true);
    const publicPem = exportPublicKeyPem(publicKey);
    expect(publicPem).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
    expect(exportPublicKeyPem(privateKey)).toBe(publicPem);
    expect(verify(null, message, importPublicKeyPem(publicPem), sign(null, message, privateKey))).toBe(true);
  });

  it("round-trips private and public keys through JWK (RFC 8037)", () => {
    const { privateKey, publicKey } = generateSigningKey();
    const jwk = exportPrivateKeyJwk(privateKey);
    expect(Object.keys(jwk).sort()).toEqual(["crv", "d", "kty", "x"]);
    expect(jwk).toMatchObject({ kty: "OKP", crv: "Ed25519" });
    const imported = importPrivateKeyJwk(JSON.parse(JSON.stringify(jwk)));
    expect(verify(null, message, publicKey, sign(null, message, imported))).toBe(true);
    const publicJwk = exportPublicKeyJwk(publicKey);
    expect(publicJwk).toEqual({ kty: "OKP", crv: "Ed25519", x: jwk.x });
    expect(exportPublicKeyJwk(privateKey)).toEqual(publicJwk);
    expect(keyId(importPublicKeyJwk(publicJwk))).toBe(keyId(publicKey));
  });

  it("never prints key material through toString, JSON or inspect", () => {
    const { privateKey, publicKey } = generateSigningKey();
    const secrets = [
      exportPrivateKeyJwk(privateKey).d,
      Buffer.from(exportPrivateKeyJwk(privateKey).d, "base64url").toString("hex"),
      Buffer.from(exportPrivateKeyJwk(privateKey).d, "base64url").toString("base64"),
      exportPrivateKeyPem(privateKey).split("\n")[1] ?? "(missing PEM body)",
    ];
    const renderings = [
      // eslint-disable-next-line @typescript-eslint/no-base-to-string -- what String() shows of a key is the point here
      String(privateKey),
      // eslint-disable-next-line @typescript-eslint/no-base-to-string -- idem, through toString
      privateKey.toString(),
      JSON.stringify(privateKey),
      JSON.stringify({ privateKey }),
      inspect(privateKey),
      inspect({ privateKey, publicKey }, { showHidden: true, depth: 10 }),
    ];
    for (const text of renderings) {
      for (const secret of secrets) expect(text).not.toContain(secret);
    }
  });

  it("computes a 16-hex key id that differs between keys and matches for both halves", () => {
    const a = generateSigningKey();
    const b = generateSigningKey();
    expect(keyId(a.publicKey)).toMatch(/^[0-9a-f]{16}$/);
    expect(keyId(a.privateKey)).toBe(keyId(a.publicKey));
    expect(keyId(a.publicKey)).not.toBe(keyId(b.publicKey));
  });

  it("refuses keys that are not Ed25519 or of the wrong type", () => {
    const ec = generateKeyPairSync("ec", { namedCurve: "P-256" });
    expectInvalidKey(() => exportPrivateKeyPem(ec.privateKey));
    expectInvalidKey(() => keyId(ec.publicKey));
    const { publicKey } = generateSigningKey();
    expectInvalidKey(() => exportPrivateKeyPem(publicKey));
    expectInvalidKey(() => importPrivateKeyPem(String(ec.privateKey.export({ format: "pem", type: "pkcs8" }))));
    expectInvalidKey(() => importPublicKeyPem(String(ec.publicKey.export({ format: "pem", type: "spki" }))));
  });

  it("refuses a private key where a public key is expected, and the reverse", () => {
    const { privateKey, publicKey } = generateSigningKey();
    const error = expectInvalidKey(() => importPublicKeyPem(exportPrivateKeyPem(privateKey)));
    expect(error.message).toContain("PUBLIC KEY");
    expectInvalidKey(() => importPrivateKeyPem(exportPublicKeyPem(publicKey)));
    expectInvalidKey(() => importPublicKeyJwk(exportPrivateKeyJwk(privateKey)));
    expectInvalidKey(() => importPrivateKeyJwk(exportPublicKeyJwk(publicKey)));
  });

  it("refuses a private JWK whose x is not the public key of its d", () => {
    const a = exportPrivateKeyJwk(generateSigningKey().privateKey);
    const b = exportPrivateKeyJwk(generateSigningKey().privateKey);
    const error = expectInvalidKey(() => importPrivateKeyJwk({ ...a, x: b.x }));
    expect(error.message).not.toContain(a.d);
  });

  it("rejects junk PEM and JWK input with InvalidKey, never echoing it", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        const pem = `-----BEGIN PRIVATE KEY-----\n${text}\n-----END PRIVATE KEY-----\n`;
        const error = expectInvalidKey(() => importPrivateKeyPem(pem));
        if (text.length > 8) expect(error.message).not.toContain(text);
        expectInvalidKey(() => importPublicKeyPem(text));
      }),
      { numRuns: 100 },
    );
    fc.assert(
      fc.property(fc.anything(), (value) => {
        expectInvalidKey(() => importPrivateKeyJwk(value));
        expectInvalidKey(() => importPublicKeyJwk(value));
      }),
      { numRuns: 100 },
    );
    fc.assert(
      fc.property(fc.string({ minLength: 43, maxLength: 43, unit: fc.constantFrom(..."ABCabc012-_") }), (x) => {
        // Well-formed base64url, but not always a valid curve point: either imports or fails typed.
        try {
          importPublicKeyJwk({ kty: "OKP", crv: "Ed25519", x });
        } catch (error) {
          expect(error).toBeInstanceOf(LedgerError);
          expect((error as LedgerError).kind).toBe("InvalidKey");
        }
      }),
      { numRuns: 50 },
    );
  });
});
