export const REDACTED = "[redacted]";

/**
 * Replaces every occurrence of each secret in `text` with `[redacted]`.
 * Providers sometimes echo the key they were sent ("Incorrect API key provided:
 * sk-…"), and transport errors may quote URLs with credentials; nothing of a
 * secret may reach an error, a log line or a fixture.
 */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length === 0) continue;
    out = out.split(secret).join(REDACTED);
    // Also the URL-encoded form, as it appears inside URLs and query strings.
    const encoded = encodeURIComponent(secret);
    if (encoded !== secret) out = out.split(encoded).join(REDACTED);
  }
  return out;
}
