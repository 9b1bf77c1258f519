/** The `apiVersion` of every ExecutionCell document CellOS accepts. */
export const CELLOS_API_VERSION = "cellos.io/v1";

/** The `kind` of an ExecutionCell document. */
export const EXECUTION_CELL_KIND = "ExecutionCell";

/** Upstream FC-17 admission limit on the base64 of the JSON argv (see ADR-0002). */
export const ARGV_KERNEL_CMDLINE_LIMIT_BYTES = 3072;

/** Cell id grammar: ASCII letters, digits, `.`, `_`, `-`, 1 to 128 characters. */
export const CELL_ID_PATTERN = /^[A-Za-z0-9._-]{1,128}$/;

/** CloudEvents spec version carried by every event. */
export const CLOUDEVENTS_SPEC_VERSION = "1.0";
