import type * as z from "zod";
import { CellosError, formatJsonPath } from "./cellos-error.js";
import type { LocatedProblem } from "./schema-problems.js";
import { NO_OUTPUT, problemsFromZod, walkModelled } from "./schema-problems.js";

/**
 * Runs `schema` over `input` and returns either the parsed value or the one
 * CellosError that lists every problem. Never throws: a schema that itself
 * throws (it should not) becomes an InvalidSpec too.
 */
export function parseWithSchema<S extends z.ZodType>(
  schema: S,
  input: unknown,
  prefix: readonly (string | number)[] = [],
): { success: true; data: z.infer<S> } | { success: false; error: CellosError } {
  const problems: LocatedProblem[] = [];
  try {
    const result = schema.safeParse(input);
    if (result.success) {
      const data = walkModelled(schema, input, result.data, prefix, problems) as z.infer<S>;
      if (problems.length === 0) return { success: true, data };
    } else {
      walkModelled(schema, input, NO_OUTPUT, prefix, problems);
      // Parse again only on failure, asking zod to keep each offending value for the message.
      const detailed = schema.safeParse(input, { reportInput: true });
      problems.push(...problemsFromZod(detailed.error ?? result.error, prefix));
    }
  } catch (cause) {
    const segments = [...prefix];
    const message = `could not be checked: ${cause instanceof Error ? cause.message : String(cause)}`;
    return { success: false, error: CellosError.invalidSpec([{ path: formatJsonPath(segments), segments, message }]) };
  }
  return { success: false, error: errorFor(problems) };
}

/** One problem that is ArgvTooLarge → that kind; anything else → InvalidSpec listing all. */
export function errorFor(problems: LocatedProblem[]): CellosError {
  const only = problems.length === 1 ? problems[0] : undefined;
  if (only?.argvTooLarge) return CellosError.argvTooLarge(only.argvTooLarge.encodedBytes, only.argvTooLarge.limitBytes, only.segments);
  return CellosError.invalidSpec(problems.map(({ path, segments, message }) => ({ path, segments, message })));
}

