/**
 * Repeated map keys in a parsed YAML document. The `yaml` package can refuse
 * them itself (`uniqueKeys`), but its check is quadratic in the size of a map
 * (seconds for a 10 000-rule table); this one is linear. Keys are compared as
 * the strings they become in JavaScript, so `1` and `"1"` collide too, as they
 * would in the object `toJS` builds.
 */
import { isPair, isScalar, isSeq, visit, type Document, type LineCounter } from "yaml";
import type { DoctrineIssue } from "./doctrine-error.js";
import { jsonPointer } from "./json-pointer.js";

function keyText(key: unknown): string {
  if (isScalar(key)) return String(key.value);
  return String(key);
}

/** One issue per repeated key: its JSON pointer, its line and column. */
export function yamlDuplicateKeys(document: Document, lines: LineCounter): DoctrineIssue[] {
  const issues: DoctrineIssue[] = [];
  visit(document, {
    Map(_key, map, path) {
      const seen = new Set<string>();
      for (const pair of map.items) {
        const text = keyText(pair.key);
        if (!seen.has(text)) {
          seen.add(text);
          continue;
        }
        const segments: PropertyKey[] = [];
        const chain = [...path, map];
        chain.forEach((node, i) => {
          if (isPair(node)) segments.push(keyText(node.key));
          else if (isSeq(node)) segments.push(node.items.indexOf(chain[i + 1]));
        });
        const offset = isScalar(pair.key) ? pair.key.range?.[0] : undefined;
        const at = offset === undefined ? undefined : lines.linePos(offset);
        const where = at === undefined ? "" : ` at line ${at.line}, column ${at.col}`;
        issues.push({
          path: jsonPointer([...segments, text]),
          message: `map keys must be unique: ${JSON.stringify(text)} appears again${where}`,
        });
      }
    },
  });
  return issues;
}
