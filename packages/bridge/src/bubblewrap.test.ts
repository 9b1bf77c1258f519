import { describe, expect, it } from "vitest";
import { bubblewrapArgs, findOnPath } from "./bubblewrap.js";

const plan = { cellDir: "/work/cells/c1-abc", cwd: "/work/cells/c1-abc", shareNetwork: false, readOnly: false, writablePaths: [] };

describe("bubblewrapArgs", () => {
  it("read-only root, fresh /dev /proc /tmp, own namespaces, no capabilities, no network without egress", () => {
    expect(bubblewrapArgs(plan)).toEqual([
      "--die-with-parent", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try", "--unshare-net",
      "--cap-drop", "ALL", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp",
      "--bind", "/work/cells/c1-abc", "/work/cells/c1-abc",
      "--chdir", "/work/cells/c1-abc",
    ]);
  });

  it("shares the network only when the authority has egress", () => {
    expect(bubblewrapArgs({ ...plan, shareNetwork: true })).not.toContain("--unshare-net");
  });

  it("read-only: the work dir and /tmp read-only, writable paths bound after, /tmp remounted last", () => {
    const args = bubblewrapArgs({ ...plan, readOnly: true, writablePaths: ["/work/cells/c1-abc/out", "/tmp/scratch"] });
    expect(args.slice(args.indexOf("--tmpfs") + 2)).toEqual([
      "--ro-bind", "/work/cells/c1-abc", "/work/cells/c1-abc",
      "--bind", "/work/cells/c1-abc/out", "/work/cells/c1-abc/out",
      "--dir", "/tmp/scratch", "--tmpfs", "/tmp/scratch",
      "--remount-ro", "/tmp",
      "--chdir", "/work/cells/c1-abc",
    ]);
    expect(bubblewrapArgs({ ...plan, readOnly: true, writablePaths: ["/tmp"] })).not.toContain("--remount-ro");
  });

  it("never puts the environment on the command line", () => {
    const args = bubblewrapArgs(plan);
    expect(args).not.toContain("--setenv");
    expect(args).not.toContain("--clearenv");
  });
});

describe("findOnPath", () => {
  it("finds programs on the search path, and absolute paths as given", async () => {
    await expect(findOnPath("sh", "/nonexistent:/bin:/usr/bin")).resolves.toMatch(/\/sh$/);
    await expect(findOnPath("/bin/sh", "")).resolves.toBe("/bin/sh");
    await expect(findOnPath("no-such-program-here", "/bin:/usr/bin")).resolves.toBeUndefined();
    await expect(findOnPath("/etc", "")).resolves.toBeUndefined();
  });
});
