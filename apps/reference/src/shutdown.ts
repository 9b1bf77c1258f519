/** An AbortSignal that fires on SIGINT or SIGTERM (for commands that run until stopped). */
export function untilInterrupted(): AbortSignal {
  const controller = new AbortController();
  const stop = (): void => {
    controller.abort(new Error("interrupted"));
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  return controller.signal;
}
