import { describe, expect, it } from "vitest";
import { isLoopbackUrl, runtimeModeForBaseUrl } from "./loopback.js";

describe("loopback base URLs", () => {
  it.each([
    "http://localhost:11434/v1",
    "http://LOCALHOST./v1",
    "http://127.0.0.1:8080/v1",
    "http://127.255.3.4/v1",
    "http://[::1]:8080/v1",
    "http://[0:0:0:0:0:0:0:1]/v1",
    "http://[::ffff:127.0.0.1]/v1",
  ])("%s is local_unsigned", (url) => {
    expect(isLoopbackUrl(new URL(url))).toBe(true);
    expect(runtimeModeForBaseUrl(new URL(url))).toBe("local_unsigned");
  });

  it.each([
    "https://api.openai.com/v1",
    "http://127.0.0.1.nip.io/v1",
    "http://localhost.example.com/v1",
    "http://10.0.0.5/v1",
    "http://0.0.0.0:8080/v1",
    "http://[::ffff:10.0.0.1]/v1",
    "http://[fe80::1]/v1",
    "http://128.0.0.1/v1",
  ])("%s is remote_unsigned", (url) => {
    expect(isLoopbackUrl(new URL(url))).toBe(false);
    expect(runtimeModeForBaseUrl(new URL(url))).toBe("remote_unsigned");
  });
});
