import { readFile } from "node:fs/promises";
import { contextPackFromWire, newPrefixedId, type ContextPack, type ContextPackWire } from "@cellos-cortex/cortex-core";

/*
 * Test packs. `packFor` mirrors `ContextPackBuilder::new(task, max_tokens).build()`
 * of an empty pack with the default external redaction policy; the committed
 * packs in `packs/` have fixed ids, so the requests built from them — and so
 * their prompt hashes — are stable and the replay fixtures match.
 */

export interface PackOptions {
  maxTokens?: number;
  contextPackId?: string;
  conflicts?: ContextPackWire["conflicts"];
}

export function packWireFor(task: string, options: PackOptions = {}): ContextPackWire {
  return {
    context_pack_id: (options.contextPackId ?? newPrefixedId("ctx")) as ContextPackWire["context_pack_id"],
    task,
    max_tokens: options.maxTokens ?? 512,
    pack_mode: "external",
    redaction_policy: {
      policy_id: "external_default",
      policy_version: 1,
      content: "abstracted",
      raw_event_payloads: "excluded",
    },
    selected_refs: [],
    active_doctrine_ids: [],
    conflicts: options.conflicts ?? [],
    exclusions: [],
    selection_audit: { included: [], excluded: [] },
  };
}

/** A valid empty pack for `task` (`ContextPackBuilder::new(task, 512).build()`). */
export function packFor(task: string, options: PackOptions = {}): ContextPack {
  return contextPackFromWire(packWireFor(task, options));
}

/** Directory of the committed replay fixtures (recorded by `record-replay-fixtures.ts`). */
export const REPLAY_FIXTURES_DIR = new URL("./replay/", import.meta.url).pathname;
/** Committed fixtures recorded from a remote-unsigned adapter. */
export const REMOTE_REPLAY_FIXTURES_DIR = new URL("./replay-remote/", import.meta.url).pathname;

/** One of the committed packs in `packs/`, by file name without `.json`. */
export async function loadPack(name: string): Promise<ContextPack> {
  const text = await readFile(new URL(`./packs/${name}.json`, import.meta.url), "utf8");
  return contextPackFromWire(text);
}
