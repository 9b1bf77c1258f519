import { BridgeError } from "./bridge-error.js";

export interface SecretRequest {
  readonly cellId: string;
  /** The cell's TTL: a broker may lease the secret for this long. */
  readonly ttlSeconds: number;
  readonly signal?: AbortSignal | undefined;
}

/**
 * Resolves a cell's declared `authority.secretRefs` (the role of upstream's
 * `SecretBroker`). `LocalCellHost` gives a cell only what this returns for the
 * refs its document declares: never the parent process's environment.
 */
export interface SecretSource {
  /** The secret's value, or `undefined` when the source does not have it. */
  resolve(key: string, request: SecretRequest): Promise<string | undefined>;
}

/** Secrets from a fixed map (tests, or values loaded by the caller). */
export class MemorySecretSource implements SecretSource {
  readonly #values: ReadonlyMap<string, string>;

  constructor(values: Readonly<Record<string, string>> | ReadonlyMap<string, string>) {
    this.#values = values instanceof Map ? new Map(values) : new Map(Object.entries(values));
  }

  resolve(key: string): Promise<string | undefined> {
    return Promise.resolve(this.#values.get(key));
  }

  /** Secrets never show up in logs. */
  toString(): string {
    return `MemorySecretSource(${this.#values.size} secrets)`;
  }
}

export interface EnvSecretSourceOptions {
  /** Variable name prefix (default `CELLOS_SECRET_`, as upstream cellos-broker-env). */
  readonly prefix?: string;
  /** The environment to read (default `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/**
 * Upstream cellos-broker-env: the secret `key` is the host variable
 * `CELLOS_SECRET_<KEY>` (upper-cased, non-alphanumerics as `_`). Only
 * declared refs are looked up; nothing else of the host environment reaches
 * a cell.
 */
export class EnvSecretSource implements SecretSource {
  readonly #prefix: string;
  readonly #env: Readonly<Record<string, string | undefined>>;

  constructor(options: EnvSecretSourceOptions = {}) {
    this.#prefix = options.prefix ?? "CELLOS_SECRET_";
    this.#env = options.env ?? process.env;
  }

  resolve(key: string): Promise<string | undefined> {
    return Promise.resolve(this.#env[`${this.#prefix}${secretEnvName(key)}`]);
  }
}

/** The environment variable a secret is delivered as inside the cell: `key` upper-cased, non-alphanumerics as `_`. */
export function secretEnvName(key: string): string {
  const name = key.toUpperCase().replace(/[^A-Z0-9_]/g, "_");
  if (name === "" || /^[0-9]/.test(name)) throw new BridgeError("InvalidDocument", `secret ref ${JSON.stringify(key)} does not make an environment variable name`);
  return name;
}
