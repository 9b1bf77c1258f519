export * from "./authority-policy.js";
export * from "./builtin-doctrine.js";
export * from "./doctrine-authority-policy.js";
export * from "./doctrine-error.js";
export * from "./explain.js";
export * from "./host-pattern.js";
export * from "./narrowing.js";
export * from "./rule-table.js";
