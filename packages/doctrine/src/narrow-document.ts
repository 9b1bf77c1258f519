/**
 * Narrowing a (freshly copied) cell document by one met narrowing, axis by
 * axis, recording each change and which doctrines are responsible for it.
 * Every axis function returns its input unchanged (the same value) when it
 * has nothing to take away, so "did it change" is an identity check.
 */
import type {
  EgressRule,
  ExecutionCellDocument,
  ExportsAuthority,
  FilesystemAuthority,
} from "@cellos-cortex/cellos-core";
import type { DoctrineChange } from "./authority-policy.js";
import { cloneDocument } from "./clone-document.js";
import { hostCovers, hostSetOfRuleHost } from "./host-pattern.js";
import type { DoctrineNarrowing, NameDrop } from "./narrowing.js";

type Spec = ExecutionCellDocument["spec"];
type Maybe<T> = T | null | undefined;

interface Axis<V> {
  read(spec: Spec): V;
  /** The narrowed value; the very same value when nothing is taken away. */
  narrow(value: V, narrowing: DoctrineNarrowing): V;
  /** Whether two narrowings of the same input came out the same (for attribution). */
  same(a: V, b: V): boolean;
  /** Stores `after` in the output and describes the change (values in the record are copies). */
  write(spec: Spec, before: V, after: V): DoctrineChange[];
}

function change(path: string, before: unknown, after: unknown): DoctrineChange {
  return { path, before: cloneDocument(before), after: cloneDocument(after) };
}

function sameElements<T>(a: Maybe<readonly T[]>, b: Maybe<readonly T[]>): boolean {
  if (a === b) return true;
  if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function dropNames(list: Maybe<string[]>, drop: NameDrop): Maybe<string[]> {
  if (!Array.isArray(list) || list.length === 0) return list;
  if (drop.all) return [];
  if (drop.names.length === 0) return list;
  const names = drop.names;
  const dropped = names.length > 8 ? new Set(names) : undefined;
  const kept = list.filter((name) => !(dropped ? dropped.has(name) : names.includes(name)));
  return kept.length === list.length ? list : kept;
}

const egressAxis: Axis<Maybe<EgressRule[]>> = {
  read: (spec) => spec.authority.egressRules,
  narrow(rules, { egress }) {
    if (egress.kind === "unrestricted" || !Array.isArray(rules) || rules.length === 0) return rules;
    const { patterns } = egress;
    if (patterns.length === 0) return [];
    const kept = rules.filter((rule) => {
      const hosts = hostSetOfRuleHost(rule.host);
      return patterns.some((p) => (p.port === undefined || p.port === rule.port) && hostCovers(p.host, hosts));
    });
    return kept.length === rules.length ? rules : kept;
  },
  same: sameElements,
  write(spec, before, after) {
    spec.authority.egressRules = after;
    return [change("/spec/authority/egressRules", before, after)];
  },
};

const secretsAxis: Axis<Maybe<string[]>> = {
  read: (spec) => spec.authority.secretRefs,
  narrow: (names, narrowing) => dropNames(names, narrowing.secrets),
  same: sameElements,
  write(spec, before, after) {
    spec.authority.secretRefs = after;
    return [change("/spec/authority/secretRefs", before, after)];
  },
};

const ttlAxis: Axis<number> = {
  read: (spec) => spec.lifetime.ttlSeconds,
  narrow: (ttl, { maxTtlSeconds }) => (maxTtlSeconds !== undefined && ttl > maxTtlSeconds ? maxTtlSeconds : ttl),
  same: (a, b) => a === b,
  write(spec, before, after) {
    spec.lifetime.ttlSeconds = after;
    return [change("/spec/lifetime/ttlSeconds", before, after)];
  },
};

/** The run's own timeout may not outlive the lifetime bound either (ADR-0010). */
const timeoutAxis: Axis<Maybe<number>> = {
  read: (spec) => spec.run?.timeoutMs,
  narrow(timeoutMs, { maxTtlSeconds }) {
    if (typeof timeoutMs !== "number" || maxTtlSeconds === undefined) return timeoutMs;
    const bound = maxTtlSeconds * 1000;
    return timeoutMs > bound ? bound : timeoutMs;
  },
  same: (a, b) => a === b,
  write(spec, before, after) {
    if (spec.run) spec.run.timeoutMs = after;
    return [change("/spec/run/timeoutMs", before, after)];
  },
};

const filesystemAxis: Axis<Maybe<FilesystemAuthority>> = {
  read: (spec) => spec.authority.filesystem,
  narrow(fs, { readOnlyFilesystem }) {
    if (!readOnlyFilesystem) return fs;
    if (fs === null || fs === undefined) return { readOnly: true };
    const writable = Array.isArray(fs.writablePaths) && fs.writablePaths.length > 0;
    if (fs.readOnly === true && !writable) return fs;
    return { ...fs, readOnly: true, ...(writable ? { writablePaths: [] } : {}) };
  },
  same: (a, b) =>
    a === b || (a?.readOnly === b?.readOnly && sameElements(a?.writablePaths, b?.writablePaths)),
  write(spec, before, after) {
    if (before === null || before === undefined || after === null || after === undefined) {
      spec.authority.filesystem = after;
      return [change("/spec/authority/filesystem", before, after)];
    }
    const changes: DoctrineChange[] = [];
    if (before.readOnly !== after.readOnly) {
      changes.push(change("/spec/authority/filesystem/readOnly", before.readOnly, after.readOnly));
    }
    if (before.writablePaths !== after.writablePaths) {
      changes.push(change("/spec/authority/filesystem/writablePaths", before.writablePaths, after.writablePaths));
    }
    spec.authority.filesystem = after;
    return changes;
  },
};

const exportsAxis: Axis<Maybe<ExportsAuthority>> = {
  read: (spec) => spec.authority.exports,
  narrow(exports, { denyExports }) {
    if (!denyExports || exports?.allowed === false) return exports;
    return exports === null || exports === undefined ? { allowed: false } : { ...exports, allowed: false };
  },
  same: (a, b) => a === b || a?.allowed === b?.allowed,
  write(spec, before, after) {
    spec.authority.exports = after;
    if (before === null || before === undefined || after === null || after === undefined) {
      return [change("/spec/authority/exports", before, after)];
    }
    return [change("/spec/authority/exports/allowed", before.allowed, after.allowed)];
  },
};

const capabilitiesAxis: Axis<Maybe<string[]>> = {
  read: (spec) => spec.authority.capabilities,
  narrow: (names, narrowing) => dropNames(names, narrowing.capabilities),
  same: sameElements,
  write(spec, before, after) {
    spec.authority.capabilities = after;
    return [change("/spec/authority/capabilities", before, after)];
  },
};

/** In the order changes are reported. `timeoutAxis` after `ttlAxis`: both come from maxTtlSeconds. */
const AXES = [egressAxis, secretsAxis, filesystemAxis, exportsAxis, capabilitiesAxis, ttlAxis, timeoutAxis] as readonly Axis<unknown>[];

/** The changes of one axis and the doctrines (indices into `each`) responsible for them. */
export interface AxisChange {
  readonly changes: readonly DoctrineChange[];
  readonly responsible: readonly number[];
}

/**
 * Narrows `output` (a private copy; mutated in place) by `meet`, which must
 * be the meet of `each`. A change is credited to the doctrines that by
 * themselves produce exactly the final value; when none does (two allowlists
 * that each keep something the other drops), to every doctrine that
 * contributed to it (ADR-0010).
 */
export function narrowDocument(
  output: ExecutionCellDocument,
  meet: DoctrineNarrowing,
  each: readonly DoctrineNarrowing[],
): AxisChange[] {
  const spec = output.spec;
  const outcomes: AxisChange[] = [];
  for (const axis of AXES) {
    const before = axis.read(spec);
    const after = axis.narrow(before, meet);
    if (after === before) continue;
    const exact: number[] = [];
    const contributing: number[] = [];
    each.forEach((narrowing, index) => {
      const alone = axis.narrow(before, narrowing);
      if (alone === before) return;
      contributing.push(index);
      if (axis.same(alone, after)) exact.push(index);
    });
    outcomes.push({ changes: axis.write(spec, before, after), responsible: exact.length > 0 ? exact : contributing });
  }
  return outcomes;
}
