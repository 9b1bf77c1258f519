import { KeyObject, createHash, createPrivateKey, createPublicKey, generateKeyPairSync } from "node:crypto";
import { z } from "zod";
import { LedgerError, errnoCode } from "./ledger-error.js";

/**
 * Ed25519 keys for the ledger, as `node:crypto` `KeyObject`s. A `KeyObject`
 * keeps its material inside OpenSSL: `String(key)`, `JSON.stringify(key)` and
 * `util.inspect(key)` never show it (tested). Material leaves only through the
 * explicit `export*` helpers below.
 */
export interface SigningKeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
}

/** A fresh Ed25519 key pair. */
export function generateSigningKey(): SigningKeyPair {
  return generateKeyPairSync("ed25519");
}

/** Public JWK of an Ed25519 key (RFC 8037). */
export const Ed25519PublicJwkSchema = z.object({
  kty: z.literal("OKP"),
  crv: z.literal("Ed25519"),
  x: z.string().regex(/^[A-Za-z0-9_-]{43}$/, "x must be 32 bytes of unpadded base64url"),
});
export type Ed25519PublicJwk = z.infer<typeof Ed25519PublicJwkSchema>;

/** Private JWK of an Ed25519 key (RFC 8037): the public fields plus `d`. */
export const Ed25519PrivateJwkSchema = Ed25519PublicJwkSchema.extend({
  d: z.string().regex(/^[A-Za-z0-9_-]{43}$/, "d must be 32 bytes of unpadded base64url"),
});
export type Ed25519PrivateJwk = z.infer<typeof Ed25519PrivateJwkSchema>;

function describeKey(key: unknown): string {
  if (isKeyObject(key)) return `a ${key.type} ${key.asymmetricKeyType ?? "symmetric"} key`;
  if (key === null) return "null";
  return typeof key === "object" ? "an object that is not a KeyObject" : `a ${typeof key}`;
}

function isKeyObject(value: unknown): value is KeyObject {
  return value instanceof KeyObject;
}

/**
 * Returns the key when it is an Ed25519 `KeyObject` of the wanted type, else
 * throws `LedgerError` (`InvalidKey`) describing what was given (never its bytes).
 */
export function assertEd25519Key(key: unknown, type: "private" | "public", what = `${type} key`): KeyObject {
  if (!isKeyObject(key) || key.type !== type || key.asymmetricKeyType !== "ed25519") {
    throw new LedgerError("InvalidKey", `${what} must be an Ed25519 ${type} KeyObject, got ${describeKey(key)}`);
  }
  return key;
}

/** The public half of an Ed25519 private key (or the public key itself). */
export function publicKeyOf(key: KeyObject): KeyObject {
  if (isKeyObject(key) && key.type === "public") return assertEd25519Key(key, "public");
  return createPublicKey(assertEd25519Key(key, "private"));
}

/** The 32 raw bytes of an Ed25519 public key. */
export function rawPublicKey(publicKey: KeyObject): Buffer {
  const jwk = publicKeyOf(publicKey).export({ format: "jwk" });
  return Buffer.from(String(jwk.x), "base64url");
}

/**
 * A short, stable fingerprint of a public key, written in every signed row
 * (`key_id`): the first 8 bytes of SHA-256 over the raw 32-byte public key,
 * as 16 lowercase hex characters (ADR 0018). Accepts a private key too.
 */
export function keyId(key: KeyObject): string {
  return createHash("sha256").update(rawPublicKey(key)).digest("hex").slice(0, 16);
}

/** PKCS#8 PEM of an Ed25519 private key. */
export function exportPrivateKeyPem(privateKey: KeyObject): string {
  return String(assertEd25519Key(privateKey, "private").export({ format: "pem", type: "pkcs8" }));
}

/** SPKI PEM of an Ed25519 public key (a private key gives its public half). */
export function exportPublicKeyPem(key: KeyObject): string {
  return String(publicKeyOf(key).export({ format: "pem", type: "spki" }));
}

/** JWK (RFC 8037) of an Ed25519 private key. */
export function exportPrivateKeyJwk(privateKey: KeyObject): Ed25519PrivateJwk {
  return Ed25519PrivateJwkSchema.parse(assertEd25519Key(privateKey, "private").export({ format: "jwk" }));
}

/** JWK (RFC 8037) of an Ed25519 public key (a private key gives its public half). */
export function exportPublicKeyJwk(key: KeyObject): Ed25519PublicJwk {
  const { kty, crv, x } = Ed25519PublicJwkSchema.parse(publicKeyOf(key).export({ format: "jwk" }));
  return { kty, crv, x };
}

function importFailed(what: string, cause: unknown): LedgerError {
  // The cause stays attached for debugging; the message carries only the
  // error code, since a parser's message could quote the input.
  const code = errnoCode(cause);
  return new LedgerError("InvalidKey", `cannot import ${what}${code ? ` (${code})` : ""}`, { cause });
}

function pemLabel(pem: string): string | undefined {
  return /-----BEGIN ([A-Z0-9 ]+)-----/.exec(pem)?.[1];
}

/** Reads a PKCS#8 PEM Ed25519 private key. Throws `LedgerError` (`InvalidKey`). */
export function importPrivateKeyPem(pem: string): KeyObject {
  if (typeof pem !== "string") throw new LedgerError("InvalidKey", `private key PEM must be a string, got ${describeKey(pem)}`);
  const label = pemLabel(pem);
  if (label !== "PRIVATE KEY") {
    throw new LedgerError("InvalidKey", `expected a "PRIVATE KEY" (PKCS#8) PEM block, got ${label ? JSON.stringify(label) : "no PEM block"}`);
  }
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: "pem" });
  } catch (error) {
    throw importFailed("private key PEM", error);
  }
  return assertEd25519Key(key, "private", "imported private key");
}

/** Reads an SPKI PEM Ed25519 public key. A private-key PEM is refused. */
export function importPublicKeyPem(pem: string): KeyObject {
  if (typeof pem !== "string") throw new LedgerError("InvalidKey", `public key PEM must be a string, got ${describeKey(pem)}`);
  const label = pemLabel(pem);
  if (label !== "PUBLIC KEY") {
    throw new LedgerError("InvalidKey", `expected a "PUBLIC KEY" (SPKI) PEM block, got ${label ? JSON.stringify(label) : "no PEM block"}`);
  }
  let key: KeyObject;
  try {
    key = createPublicKey({ key: pem, format: "pem" });
  } catch (error) {
    throw importFailed("public key PEM", error);
  }
  return assertEd25519Key(key, "public", "imported public key");
}

function formatIssues(error: z.ZodError): string {
  // Paths and messages only: the offending values may be key material.
  return error.issues.map((issue) => `${issue.path.length ? issue.path.join(".") : "(root)"}: ${issue.message}`).join("; ");
}

/** Reads an Ed25519 private JWK. Throws `LedgerError` (`InvalidKey`) listing each problem. */
export function importPrivateKeyJwk(jwk: unknown): KeyObject {
  const parsed = Ed25519PrivateJwkSchema.safeParse(jwk);
  if (!parsed.success) throw new LedgerError("InvalidKey", `invalid Ed25519 private JWK: ${formatIssues(parsed.error)}`);
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: parsed.data, format: "jwk" });
  } catch (error) {
    throw importFailed("private JWK", error);
  }
  // A JWK carries x and d separately; refuse one whose x is not d's public key.
  if (exportPublicKeyJwk(key).x !== parsed.data.x) {
    throw new LedgerError("InvalidKey", "invalid Ed25519 private JWK: x is not the public key of d");
  }
  return assertEd25519Key(key, "private", "imported private key");
}

/** Reads an Ed25519 public JWK; a JWK with a private part (`d`) is refused. */
export function importPublicKeyJwk(jwk: unknown): KeyObject {
  if (typeof jwk === "object" && jwk !== null && "d" in jwk) {
    throw new LedgerError("InvalidKey", "expected a public JWK, got one with a private part (d)");
  }
  const parsed = Ed25519PublicJwkSchema.safeParse(jwk);
  if (!parsed.success) throw new LedgerError("InvalidKey", `invalid Ed25519 public JWK: ${formatIssues(parsed.error)}`);
  let key: KeyObject;
  try {
    key = createPublicKey({ key: parsed.data, format: "jwk" });
  } catch (error) {
    throw importFailed("public JWK", error);
  }
  return assertEd25519Key(key, "public", "imported public key");
}
