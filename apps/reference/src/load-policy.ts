import { DoctrineAuthorityPolicy, loadDoctrineRules } from "@cellos-cortex/doctrine";
import { CliError, EXIT } from "./cli-error.js";
import { readUserFile } from "./read-input.js";

/** The built-in doctrine policy, or the operator's rule table (YAML or JSON) when a path is given. */
export async function loadPolicy(path: string | undefined): Promise<DoctrineAuthorityPolicy> {
  if (path === undefined) return DoctrineAuthorityPolicy.builtin();
  const text = await readUserFile(path, "doctrine rules file");
  try {
    return new DoctrineAuthorityPolicy(loadDoctrineRules(text));
  } catch (error) {
    throw new CliError(`doctrine rules file ${path} is invalid: ${(error as Error).message}`, EXIT.usage, "see docs/guides/doctrine-rules.md", { cause: error });
  }
}
