#!/usr/bin/env node
// The demo's agent: runs inside the cell, receives the Cortex task as its last
// argument, writes a report into its work directory (exported by the cell) and
// prints a line. It needs nothing but Node.
import { mkdirSync, writeFileSync } from "node:fs";

const task = process.argv.at(-1) ?? "";
const report = {
  task,
  cwd: process.cwd(),
  secretsVisible: Object.keys(process.env).filter((k) => /secret|token|key/i.test(k)),
  finishedAt: new Date().toISOString(),
};
mkdirSync("out", { recursive: true });
writeFileSync("out/report.json", JSON.stringify(report, null, 2) + "\n");
console.log(`agent: handled task ${JSON.stringify(task)}`);
