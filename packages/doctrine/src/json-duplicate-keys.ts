/**
 * Finds a repeated key in JSON text. `JSON.parse` keeps the last of two equal
 * keys without a word, which in a rule table would silently drop a rule; the
 * YAML parser refuses them but is ~100× slower on large tables, so JSON text
 * is parsed by `JSON.parse` and checked here (one linear scan).
 */
import { jsonPointer } from "./json-pointer.js";

type Frame = { object: true; keys: Set<string>; expectKey: boolean; key: string } | { object: false; index: number };

/** The JSON pointer of the first repeated key in `text` (valid JSON), or undefined. */
export function firstDuplicateKey(text: string): string | undefined {
  const frames: Frame[] = [];
  const path = (last: string): string =>
    jsonPointer([...frames.slice(0, -1).map((f) => (f.object ? f.key : f.index)), last]);
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 0x22 /* " */) {
      let end = i + 1;
      let escaped = false;
      while (end < text.length && text.charCodeAt(end) !== 0x22) {
        if (text.charCodeAt(end) === 0x5c /* \ */) {
          escaped = true;
          end++;
        }
        end++;
      }
      const top = frames.at(-1);
      if (top?.object === true && top.expectKey) {
        const raw = text.slice(i + 1, end);
        const key = escaped ? (JSON.parse(`"${raw}"`) as string) : raw;
        if (top.keys.has(key)) return path(key);
        top.keys.add(key);
        top.key = key;
        top.expectKey = false;
      }
      i = end;
    } else if (ch === 0x7b /* { */) {
      frames.push({ object: true, keys: new Set(), expectKey: true, key: "" });
    } else if (ch === 0x5b /* [ */) {
      frames.push({ object: false, index: 0 });
    } else if (ch === 0x7d /* } */ || ch === 0x5d /* ] */) {
      frames.pop();
    } else if (ch === 0x2c /* , */) {
      const top = frames.at(-1);
      if (top?.object === true) top.expectKey = true;
      else if (top) top.index++;
    }
  }
  return undefined;
}
