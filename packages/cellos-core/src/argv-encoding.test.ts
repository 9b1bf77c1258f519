import { Buffer } from "node:buffer";
import { describe, expect, it } from "vitest";
import { ARGV_KERNEL_CMDLINE_LIMIT_BYTES, CellosError, checkArgvSizeWithinKernelCmdlineLimit, encodeArgvForKernelCmdline, encodedArgvBytes } from "./index.js";

/** argv whose compact JSON is exactly `jsonBytes` long: ["aaa…"] adds 4 bytes of punctuation. */
function argvWithJsonBytes(jsonBytes: number): string[] {
  return ["a".repeat(jsonBytes - 4)];
}

describe("argv kernel cmdline encoding (ADR-0002)", () => {
  it("is standard padded base64 of the compact JSON array", () => {
    expect(encodeArgvForKernelCmdline(["echo", "hi"])).toBe(Buffer.from('["echo","hi"]').toString("base64"));
    expect(encodeArgvForKernelCmdline(["a"])).toBe("WyJhIl0=");
    expect(encodeArgvForKernelCmdline(["a"])).toMatch(/=$/);
  });

  it("escapes like serde_json: quotes, backslashes, control characters lowercase, non-ASCII raw", () => {
    const json = Buffer.from(encodeArgvForKernelCmdline(['say "hi"', "C:\\dir", "tab\there", "nl\n", "\u0001", "\u007f", "héllo", "😀"]), "base64").toString("utf8");
    expect(json).toBe('["say \\"hi\\"","C:\\\\dir","tab\\there","nl\\n","\\u0001","\u007f","héllo","😀"]');
  });

  it("counts UTF-8 bytes, not UTF-16 units", () => {
    // "é" is 2 bytes: ["é"] = 6 bytes → 8 base64 chars.
    expect(encodedArgvBytes(["é"])).toBe(8);
    expect(encodedArgvBytes(["😀"])).toBe(encodeArgvForKernelCmdline(["😀"]).length);
  });

  it("encodedArgvBytes equals the length of the encoding", () => {
    for (const argv of [["x"], ["node", "agent.js", "a task with spaces"], ["a".repeat(1000), "ü".repeat(333)], [""]]) {
      expect(encodedArgvBytes(argv)).toBe(encodeArgvForKernelCmdline(argv).length);
    }
  });

  it("accepts exactly 3072 bytes and rejects the next size up", () => {
    // 2304 JSON bytes → 3072 base64 chars; 2305 → 3076.
    expect(encodedArgvBytes(argvWithJsonBytes(2304))).toBe(ARGV_KERNEL_CMDLINE_LIMIT_BYTES);
    expect(() => { checkArgvSizeWithinKernelCmdlineLimit(argvWithJsonBytes(2304)); }).not.toThrow();
    expect(encodedArgvBytes(argvWithJsonBytes(2305))).toBe(3076);
    let thrown: unknown;
    try {
      checkArgvSizeWithinKernelCmdlineLimit(argvWithJsonBytes(2305));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(CellosError);
    expect(thrown).toMatchObject({ kind: "ArgvTooLarge", encodedBytes: 3076, limitBytes: 3072 });
    expect((thrown as CellosError).message).toBe("spec.run.argv encoded as base64 is 3076 bytes; exceeds 3072-byte kernel cmdline limit");
  });

  it("takes another limit when given", () => {
    expect(() => { checkArgvSizeWithinKernelCmdlineLimit(["abc"], 8); }).toThrow(/exceeds 8-byte kernel cmdline limit/);
  });
});
