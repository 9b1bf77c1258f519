/** RFC 6901 JSON pointer for a path given as segments: `["rules", "a/b"]` → `/rules/a~1b`. */
export function jsonPointer(segments: readonly PropertyKey[]): string {
  let out = "";
  for (const segment of segments) {
    const text = typeof segment === "symbol" ? (segment.description ?? "") : String(segment);
    out += `/${text.replaceAll("~", "~0").replaceAll("/", "~1")}`;
  }
  return out;
}
