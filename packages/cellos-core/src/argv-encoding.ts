import { Buffer } from "node:buffer";
import { CellosError } from "./cellos-error.js";
import { ARGV_KERNEL_CMDLINE_LIMIT_BYTES } from "./constants.js";

/**
 * The `cellos.argv=` value a Firecracker host puts on the kernel cmdline:
 * standard, padded base64 (RFC 4648 §4) of the UTF-8 bytes of the compact JSON
 * array of argv, which is byte-identical to `serde_json::to_string(&argv)` for
 * well-formed strings. See ADR-0002.
 */
export function encodeArgvForKernelCmdline(argv: readonly string[]): string {
  return Buffer.from(JSON.stringify(argv), "utf8").toString("base64");
}

/** Length of {@link encodeArgvForKernelCmdline} without building the string. */
export function encodedArgvBytes(argv: readonly string[]): number {
  const jsonBytes = Buffer.byteLength(JSON.stringify(argv), "utf8");
  return 4 * Math.ceil(jsonBytes / 3);
}

/**
 * Mirror of upstream `check_argv_size_within_kernel_cmdline_limit` (FC-17):
 * throws `CellosError` `ArgvTooLarge` when the encoded argv is over the limit.
 */
export function checkArgvSizeWithinKernelCmdlineLimit(argv: readonly string[], limitBytes: number = ARGV_KERNEL_CMDLINE_LIMIT_BYTES): void {
  const encoded = encodedArgvBytes(argv);
  if (encoded > limitBytes) throw CellosError.argvTooLarge(encoded, limitBytes);
}
