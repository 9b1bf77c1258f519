import type { Command } from "commander";
import { stringify as toYaml } from "yaml";
import { CortexCellRunner, MemorySubmitter } from "@cellos-cortex/bridge";
import { explain } from "@cellos-cortex/doctrine";
import { loadPack } from "../load-pack.js";
import { loadPolicy } from "../load-policy.js";
import { Output } from "../output.js";

interface TranslateFlags {
  json?: boolean;
  yaml?: boolean;
  doctrine?: string;
  agent: string[];
  ttl?: string;
}

export function registerTranslateCommand(program: Command): void {
  program
    .command("translate")
    .description("print the ExecutionCell document a pack becomes (policy explanation on stderr)")
    .argument("<pack.json>", "a Cortex context pack (snake_case) or a slim bridge pack")
    .option("--yaml", "print YAML instead of JSON")
    .option("--json", "print {document, policy} as JSON")
    .option("--doctrine <rules.yaml>", "operator doctrine rule table (default: the built-in ids)")
    .option("--agent <argv...>", "agent argv the task is appended to", ["agent"])
    .option("--ttl <seconds>", "default TTL in seconds", "300")
    .action(async (path: string, flags: TranslateFlags) => {
      const out = new Output({ json: flags.json === true });
      const pack = await loadPack(path);
      const runner = new CortexCellRunner(new MemorySubmitter(), flags.agent, { policy: await loadPolicy(flags.doctrine), defaultTtlSeconds: Number(flags.ttl ?? "300") });
      const translation = runner.translate(pack);
      await runner.close();
      out.note(explain(translation.policy));
      if (flags.json === true) {
        out.result({ document: translation.document, policy: { applied: translation.policy.applied, unknownDoctrineIds: translation.policy.unknownDoctrineIds } });
      } else {
        out.line(flags.yaml === true ? toYaml(translation.document).trimEnd() : JSON.stringify(translation.document, null, 2));
      }
    });
}
