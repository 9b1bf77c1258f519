/**
 * Doctrine rule tables: the data an operator reads and edits. A table maps
 * doctrine ids to narrowing operations; it is YAML or JSON, validated with
 * zod (strict: an unknown key is an error), and every problem is reported
 * at once, each with its JSON-pointer path.
 */
import { LineCounter, parseDocument } from "yaml";
import { z } from "zod";
import { DoctrineError, describeValue, type DoctrineIssue } from "./doctrine-error.js";
import { parseHostPattern } from "./host-pattern.js";
import { firstDuplicateKey } from "./json-duplicate-keys.js";
import { jsonPointer } from "./json-pointer.js";
import { yamlDuplicateKeys } from "./yaml-duplicate-keys.js";

/** The most patterns one `restrictEgressTo` may list (the meet is quadratic in them). */
export const MAX_EGRESS_PATTERNS = 1000;
/** The longest doctrine id accepted in a table. */
export const MAX_DOCTRINE_ID_LENGTH = 256;
/** Issues quoted in an error message; the rest are counted (all are in `issues`). */
const MAX_ISSUES_IN_MESSAGE = 20;
/** YAML aliases expanded at most this many times (defuses "billion laughs"). */
const MAX_YAML_ALIASES = 100;

const OPERATION_NAMES = [
  "denyEgress",
  "restrictEgressTo",
  "dropSecrets",
  "maxTtlSeconds",
  "readOnlyFilesystem",
  "denyExports",
  "dropCapabilities",
] as const;

/** The narrowing operations, in the order the ADR and `explain` list them. */
export type DoctrineOperationName = (typeof OPERATION_NAMES)[number];
export const DOCTRINE_OPERATIONS: readonly DoctrineOperationName[] = OPERATION_NAMES;

const mustBeTrue = (name: string) =>
  z.literal(true, { error: `${name} must be true (leave it out to not apply it)` });

const nameListOrAll = (name: string, what: string) =>
  z.union([z.literal(true), z.array(z.string().min(1, { error: `a ${what} name must not be empty` }))], {
    error: `${name} must be true (all) or a list of ${what} names`,
  });

const hostPatternSchema = z.string().superRefine((text, ctx) => {
  const parsed = parseHostPattern(text);
  if (typeof parsed === "string") ctx.addIssue({ code: "custom", message: parsed, input: text });
});

/** One doctrine's narrowing operations. Every field only ever takes authority away. */
export const DoctrineRuleSchema = z.strictObject({
  /** Remove every egress rule. */
  denyEgress: mustBeTrue("denyEgress").optional(),
  /** Keep only egress rules whose endpoints all lie inside one of these patterns ("host" or "host:port"). */
  restrictEgressTo: z
    .array(hostPatternSchema)
    .max(MAX_EGRESS_PATTERNS, { error: `restrictEgressTo lists at most ${MAX_EGRESS_PATTERNS} patterns` })
    .optional(),
  /** Remove all secret refs (`true`) or the named ones. */
  dropSecrets: nameListOrAll("dropSecrets", "secret").optional(),
  /** Cap `spec.lifetime.ttlSeconds` (and `spec.run.timeoutMs`) at this many seconds. */
  maxTtlSeconds: z
    .int({ error: "maxTtlSeconds must be a whole number of seconds" })
    .min(1, { error: "maxTtlSeconds must be at least 1" })
    .optional(),
  /** Make the filesystem read-only and drop every writable path. */
  readOnlyFilesystem: mustBeTrue("readOnlyFilesystem").optional(),
  /** Forbid exports. */
  denyExports: mustBeTrue("denyExports").optional(),
  /** Remove all capabilities (`true`) or the named ones. */
  dropCapabilities: nameListOrAll("dropCapabilities", "capability").optional(),
});
export type DoctrineRule = z.infer<typeof DoctrineRuleSchema>;

const doctrineIdSchema = z
  .string()
  .min(1, { error: "a doctrine id must not be empty" })
  .max(MAX_DOCTRINE_ID_LENGTH, { error: `a doctrine id is at most ${MAX_DOCTRINE_ID_LENGTH} characters` })
  .refine((id) => id.trim() === id, { error: "a doctrine id must not start or end with whitespace" });

const rulesSchema = z.record(doctrineIdSchema, DoctrineRuleSchema);

/** A rule table, the shape pinned in ARCHITECTURE.md. */
export const DoctrineRuleTableSchema = z.strictObject({
  version: z.literal(1, { error: "version must be 1" }),
  /** "builtin": the built-in rules apply too (same id: both apply); "none": only these rules. */
  extends: z.enum(["builtin", "none"], { error: 'extends must be "builtin" or "none"' }),
  rules: rulesSchema,
});
export type DoctrineRuleTable = z.infer<typeof DoctrineRuleTableSchema>;

function expectedKeysOf(path: readonly PropertyKey[]): readonly string[] {
  if (path.length === 0) return ["version", "extends", "rules"];
  if (path.length === 2 && path[0] === "rules") return DOCTRINE_OPERATIONS;
  return [];
}

function collectIssues(issues: readonly z.core.$ZodIssue[], prefix: readonly PropertyKey[], out: DoctrineIssue[]): void {
  for (const issue of issues) {
    const path = [...prefix, ...issue.path];
    switch (issue.code) {
      case "unrecognized_keys": {
        const expected = expectedKeysOf(path);
        const hint = expected.length > 0 ? ` (expected one of ${expected.join(", ")})` : "";
        const what = path.length === 2 && path[0] === "rules" ? "unknown operation" : "unknown key";
        for (const key of issue.keys) out.push({ path: jsonPointer([...path, key]), message: `${what} ${JSON.stringify(key)}${hint}` });
        break;
      }
      case "invalid_key":
        collectIssues(issue.issues, path, out);
        break;
      case "invalid_union": {
        // Report inside the branch whose type matched (e.g. a bad name in a list), else the union's own message.
        const typed = issue.errors.filter((branch) => !branch.some((inner) => inner.path.length === 0));
        const [only] = typed;
        if (typed.length === 1 && only !== undefined) collectIssues(only, path, out);
        else out.push({ path: jsonPointer(path), message: `${issue.message}, got ${describeValue(issue.input)}` });
        break;
      }
      default: {
        const got = "input" in issue && issue.code !== "custom" ? `, got ${describeValue(issue.input)}` : "";
        out.push({ path: jsonPointer(path), message: `${issue.message}${got}` });
      }
    }
  }
}

/** zod drops a "__proto__" key from records without a word; refuse it loudly instead. */
function reservedIdIssues(value: unknown): DoctrineIssue[] {
  if (typeof value !== "object" || value === null || !("rules" in value)) return [];
  const rules: unknown = value.rules;
  if (typeof rules !== "object" || rules === null || !Object.prototype.hasOwnProperty.call(rules, "__proto__")) return [];
  return [{ path: jsonPointer(["rules", "__proto__"]), message: 'doctrine id "__proto__" is reserved' }];
}

function tableError(kind: "RuleTableSyntax" | "InvalidRuleTable", issues: readonly DoctrineIssue[]): DoctrineError {
  const shown = issues.slice(0, MAX_ISSUES_IN_MESSAGE).map((i) => (i.path === "" ? `  ${i.message}` : `  ${i.path}: ${i.message}`));
  const more = issues.length > MAX_ISSUES_IN_MESSAGE ? [`  … and ${issues.length - MAX_ISSUES_IN_MESSAGE} more`] : [];
  const head =
    kind === "RuleTableSyntax"
      ? "doctrine rule table is not valid YAML/JSON"
      : `invalid doctrine rule table (${issues.length} problem${issues.length === 1 ? "" : "s"})`;
  return new DoctrineError(kind, [`${head}:`, ...shown, ...more].join("\n"), { issues });
}

/** Validates an already-parsed rule table; throws `DoctrineError` (`InvalidRuleTable`) listing every problem. */
export function parseDoctrineRules(value: unknown): DoctrineRuleTable {
  const issues = reservedIdIssues(value);
  const result = DoctrineRuleTableSchema.safeParse(value, { reportInput: true });
  if (result.success && issues.length === 0) return result.data;
  if (!result.success) collectIssues(result.error.issues, [], issues);
  throw tableError("InvalidRuleTable", issues);
}

/** JSON text through `JSON.parse` (refusing repeated keys); anything else is left to the YAML parser. */
function parseJsonFast(text: string): { parsed: true; value: unknown } | { parsed: false } {
  if (!/^\s*\{/.test(text)) return { parsed: false };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { parsed: false }; // not strict JSON: the YAML parser reports where, or reads YAML flow syntax
  }
  const duplicate = firstDuplicateKey(text);
  if (duplicate !== undefined) {
    throw tableError("RuleTableSyntax", [{ path: duplicate, message: "map keys must be unique: this key appears again" }]);
  }
  return { parsed: true, value };
}

/**
 * Reads a rule table from YAML or JSON text (JSON is YAML). Throws
 * `DoctrineError` with kind `RuleTableSyntax` (unparseable, duplicate keys,
 * too many aliases) or `InvalidRuleTable` (wrong shape), listing every problem.
 */
export function loadDoctrineRules(text: string): DoctrineRuleTable {
  if (typeof text !== "string") {
    throw new DoctrineError("RuleTableSyntax", `doctrine rule table must be text, got ${describeValue(text)}`);
  }
  const json = parseJsonFast(text);
  if (json.parsed) return parseDoctrineRules(json.value);
  const lines = new LineCounter();
  // uniqueKeys is off because the package's own check is quadratic; yamlDuplicateKeys does it linearly.
  const document = parseDocument(text, { uniqueKeys: false, prettyErrors: true, strict: true, lineCounter: lines });
  if (document.errors.length > 0) {
    // prettyErrors puts "… at line L, column C:" and a code frame in the message; keep the first line.
    const issues = document.errors.map((error) => ({ path: "", message: (error.message.split("\n")[0] ?? error.code).replace(/:$/, "") }));
    throw tableError("RuleTableSyntax", issues);
  }
  const duplicates = yamlDuplicateKeys(document, lines);
  if (duplicates.length > 0) throw tableError("RuleTableSyntax", duplicates);
  let value: unknown;
  try {
    value = document.toJS({ maxAliasCount: MAX_YAML_ALIASES });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new DoctrineError("RuleTableSyntax", `doctrine rule table cannot be read: ${message}`, { cause: error });
  }
  return parseDoctrineRules(value);
}
