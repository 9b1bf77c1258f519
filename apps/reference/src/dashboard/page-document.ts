/**
 * The dashboard's HTML and CSS, served as they are. Nothing here comes from
 * events: the page script fills the page with `textContent` only. No CDN, no
 * web fonts, so the page works without a network.
 */

export const DASHBOARD_SCRIPT_PATH = "/assets/dashboard.js";
export const DASHBOARD_STYLE_PATH = "/assets/dashboard.css";

/**
 * Only our own script and stylesheet may run or style the page, and it may
 * only talk to its own origin: a value from an event that somehow became
 * markup still could not run.
 */
export const DASHBOARD_CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>cellos-cortex · cells</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${DASHBOARD_STYLE_PATH}">
<script type="module" src="${DASHBOARD_SCRIPT_PATH}"></script>
</head>
<body>
<header class="top">
  <h1>cellos-cortex <span class="sub">cells</span></h1>
  <ul id="counts" class="counts" aria-label="cells by state"></ul>
  <div id="ledger" class="ledger" data-ledger-state="unknown" role="status">ledger: …</div>
  <div id="connection" class="connection" data-connection="connecting" role="status">connecting…</div>
</header>
<main class="layout">
  <section class="cells" aria-label="cells">
    <table id="cells">
      <thead>
        <tr><th>Cell</th><th>Pack</th><th>State</th><th class="num">Exit</th><th>Started</th><th>Destroyed</th><th class="num">Duration</th></tr>
      </thead>
      <tbody id="cell-rows"></tbody>
    </table>
    <p id="empty" class="empty">No cells yet. POST CloudEvents to <code id="events-url">/events</code>, or start <code>cellos-cortex serve --events &lt;file.jsonl&gt;</code>.</p>
  </section>
  <aside id="detail" class="detail" aria-label="cell detail" hidden></aside>
</main>
</body>
</html>
`;

export const DASHBOARD_CSS = `:root {
  --bg: #f6f7f9; --panel: #ffffff; --ink: #1d2330; --muted: #677086; --line: #e2e5ec;
  --accent: #2f6fde; --ok: #1f8a4c; --bad: #c9372c; --warn: #b86e00; --idle: #7a8294;
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  color: var(--ink); background: var(--bg);
}
* { box-sizing: border-box; }
body { margin: 0; }
code, .mono { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "Liberation Mono", monospace; font-size: 12.5px; }
.top { display: flex; align-items: center; gap: 16px; padding: 12px 20px; background: var(--panel); border-bottom: 1px solid var(--line); flex-wrap: wrap; }
.top h1 { font-size: 17px; margin: 0 8px 0 0; font-weight: 650; letter-spacing: .2px; }
.top h1 .sub { color: var(--muted); font-weight: 500; }
.counts { display: flex; gap: 8px; list-style: none; margin: 0; padding: 0; flex: 1; }
.counts li { display: flex; gap: 6px; align-items: center; color: var(--muted); }
.counts li strong { color: var(--ink); }
.ledger, .connection { padding: 3px 10px; border-radius: 999px; font-size: 12.5px; border: 1px solid var(--line); white-space: nowrap; max-width: 480px; overflow: hidden; text-overflow: ellipsis; }
.ledger[data-ledger-state="verified"] { color: var(--ok); border-color: #b7e0c6; background: #eefaf2; }
.ledger[data-ledger-state="broken"], .ledger[data-ledger-state="error"] { color: var(--bad); border-color: #f0c2bd; background: #fdf0ef; }
.ledger[data-ledger-state="missing"], .ledger[data-ledger-state="pending"], .ledger[data-ledger-state="off"] { color: var(--muted); }
.connection[data-connection="live"] { color: var(--ok); }
.connection[data-connection="live"]::before { content: "●"; margin-right: 6px; }
.connection[data-connection="reconnecting"] { color: var(--warn); }
.layout { display: flex; gap: 16px; padding: 16px 20px; align-items: flex-start; }
.cells { flex: 1; min-width: 0; background: var(--panel); border: 1px solid var(--line); border-radius: 8px; overflow-x: auto; }
table { width: 100%; border-collapse: collapse; }
th, td { text-align: left; padding: 8px 12px; border-bottom: 1px solid var(--line); white-space: nowrap; }
th { font-size: 12px; text-transform: uppercase; letter-spacing: .4px; color: var(--muted); font-weight: 600; background: #fafbfc; }
th.num, td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.cell-id { max-width: 320px; overflow: hidden; text-overflow: ellipsis; font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 12.5px; }
td.pack { max-width: 180px; overflow: hidden; text-overflow: ellipsis; color: var(--muted); }
td.time { font-variant-numeric: tabular-nums; color: var(--muted); }
tbody tr { cursor: pointer; }
tbody tr:hover { background: #f3f6fc; }
tbody tr[aria-selected="true"] { background: #e9f0fd; box-shadow: inset 3px 0 0 var(--accent); }
tbody tr:focus-visible { outline: 2px solid var(--accent); outline-offset: -2px; }
tbody tr:last-child td { border-bottom: none; }
.empty { margin: 0; padding: 28px 16px; text-align: center; color: var(--muted); }
.badge { display: inline-block; padding: 1px 9px; border-radius: 999px; font-size: 12px; font-weight: 600; border: 1px solid transparent; }
.badge[data-state="dispatched"] { color: var(--idle); background: #f0f1f4; border-color: #dfe2e8; }
.badge[data-state="running"] { color: var(--accent); background: #eaf1fd; border-color: #c5d7f6; }
.badge[data-state="running"]::before { content: ""; display: inline-block; width: 7px; height: 7px; border-radius: 50%; background: var(--accent); margin-right: 6px; vertical-align: 1px; animation: pulse 1.2s ease-in-out infinite; }
.badge[data-state="succeeded"] { color: var(--ok); background: #eaf7ef; border-color: #bfe3cc; }
.badge[data-state="failed"] { color: var(--bad); background: #fcecea; border-color: #f1c4bf; }
.badge[data-state="forced"] { color: var(--warn); background: #fdf3e4; border-color: #f0d3a6; }
@keyframes pulse { 50% { opacity: .3; } }
.detail { width: 440px; flex: none; background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 14px 16px 18px; max-height: calc(100vh - 100px); overflow: auto; position: sticky; top: 16px; }
.detail-head { display: flex; align-items: flex-start; gap: 8px; }
.detail h2 { font-size: 15px; margin: 0; flex: 1; word-break: break-all; font-family: ui-monospace, Menlo, Consolas, monospace; }
.detail h3 { font-size: 12px; text-transform: uppercase; letter-spacing: .4px; color: var(--muted); margin: 16px 0 6px; }
.close { border: none; background: none; font-size: 18px; line-height: 1; cursor: pointer; color: var(--muted); padding: 0 2px; }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: 3px 12px; margin: 10px 0 0; }
.facts dt { color: var(--muted); }
.facts dd { margin: 0; word-break: break-all; }
.chips { display: flex; flex-wrap: wrap; gap: 6px; list-style: none; margin: 0; padding: 0; }
.chip { padding: 1px 8px; border-radius: 6px; background: #f0f2f6; border: 1px solid var(--line); font-size: 12px; font-family: ui-monospace, Menlo, Consolas, monospace; }
.chip[data-enforced="true"] { color: var(--ok); }
.chip[data-enforced="false"] { color: var(--warn); }
.changes { margin: 4px 0 8px; padding-left: 18px; font-size: 12.5px; }
.changes li { word-break: break-all; }
.note { color: var(--muted); font-size: 12.5px; margin: 4px 0; }
.timeline { list-style: none; margin: 0; padding: 0 0 0 14px; border-left: 2px solid var(--line); }
.timeline li { position: relative; padding: 0 0 9px 6px; }
.timeline li::before { content: ""; position: absolute; left: -21px; top: 5px; width: 10px; height: 10px; border-radius: 50%; background: var(--panel); border: 2px solid var(--idle); }
.timeline li[data-kind="good"]::before { border-color: var(--ok); }
.timeline li[data-kind="bad"]::before { border-color: var(--bad); }
.timeline li[data-kind="start"]::before { border-color: var(--accent); }
.timeline .when { color: var(--muted); font-size: 12px; font-variant-numeric: tabular-nums; margin-right: 8px; }
.timeline .label { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 12px; font-weight: 600; overflow-wrap: anywhere; }
.timeline .summary { display: block; word-break: break-word; }
.timeline details { margin-top: 1px; }
.timeline summary { color: var(--muted); font-size: 11.5px; cursor: pointer; width: max-content; }
.timeline summary:hover { color: var(--accent); }
.timeline pre { margin: 4px 0 0; padding: 8px; background: #f6f7f9; border-radius: 6px; overflow: auto; max-height: 240px; font-size: 12px; }
@media (max-width: 1280px) { .detail { width: 360px; } td.cell-id { max-width: 200px; } td.pack { max-width: 120px; } th, td { padding: 8px 9px; } }
@media (max-width: 900px) { .layout { flex-direction: column; } .detail { width: 100%; position: static; max-height: none; } }
`;
