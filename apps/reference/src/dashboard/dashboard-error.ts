/**
 * The error the dashboard throws. `kind` says what went wrong; the message
 * names the offending value.
 */
export const DASHBOARD_ERROR_KINDS = [
  /** An option is outside its range (a port, a limit, a path). */
  "InvalidOptions",
  /** The HTTP server could not bind its address. */
  "Listen",
  /** The page script could not be found or compiled. */
  "PageAssets",
  /** An event source the dashboard follows failed. */
  "Source",
] as const;

export type DashboardErrorKind = (typeof DASHBOARD_ERROR_KINDS)[number];

export class DashboardError extends Error {
  override readonly name = "DashboardError";
  readonly kind: DashboardErrorKind;

  constructor(kind: DashboardErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.kind = kind;
  }
}
