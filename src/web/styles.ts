/**
 * The pages' one stylesheet, served at /assets/app.css. Colours are chosen for WCAG AA contrast on white (text
 * #1a1a1a 17:1, muted #4a5160 8:1, links #0b4fa8 7.6:1, the red banner's #fff on #a4161a 7.9:1). Narrow screens
 * stack the navigation and let wide tables scroll; print drops navigation and forms and keeps the tables.
 */
export const APP_CSS = `
:root { --fg:#1a1a1a; --muted:#4a5160; --bg:#fff; --panel:#f4f6f9; --line:#cfd5de; --link:#0b4fa8; --bad:#a4161a; --warn:#7a4a00; --ok:#1d6b32; }
* { box-sizing: border-box; }
body { margin:0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color:var(--fg); background:var(--bg); }
a { color:var(--link); }
a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible { outline:3px solid #f0b400; outline-offset:2px; }
.skip { position:absolute; left:-999px; } .skip:focus { left:8px; top:8px; background:#fff; padding:6px; z-index:2; }
header.top { display:flex; flex-wrap:wrap; gap:12px 24px; align-items:center; padding:10px 20px; background:#14213d; color:#fff; }
header.top a { color:#fff; } header.top .brand { font-weight:700; font-size:17px; text-decoration:none; }
header.top nav ul { display:flex; flex-wrap:wrap; gap:4px 16px; list-style:none; margin:0; padding:0; }
header.top nav a[aria-current="page"] { font-weight:700; text-decoration-thickness:3px; }
header.top form.search { display:flex; gap:6px; margin-left:auto; }
header.top .who { display:flex; gap:8px; align-items:center; font-size:14px; }
header.top button.link { background:none; border:1px solid #fff; color:#fff; padding:3px 10px; border-radius:4px; cursor:pointer; }
main { padding:16px 20px 40px; max-width:1280px; margin:0 auto; }
h1 { font-size:24px; margin:8px 0 12px; } h2 { font-size:19px; margin:24px 0 8px; }
.muted { color:var(--muted); }
.banner { padding:10px 14px; border-radius:6px; margin:10px 0; }
.banner.bad { background:var(--bad); color:#fff; } .banner.bad a { color:#fff; }
.banner.info { background:#e6effa; border:1px solid #9bb8e0; }
.banner.ok { background:#e5f3e8; border:1px solid #8cc49a; }
.grid { display:grid; grid-template-columns:repeat(auto-fit, minmax(300px, 1fr)); gap:16px; }
.card { background:var(--panel); border:1px solid var(--line); border-radius:8px; padding:12px 16px; }
.card h2 { margin-top:4px; }
.figure { font-size:30px; font-weight:700; }
.table-wrap { overflow-x:auto; }
table { border-collapse:collapse; width:100%; margin:6px 0 12px; background:#fff; }
caption { text-align:left; font-weight:600; padding:4px 0; }
th, td { border-bottom:1px solid var(--line); padding:6px 8px; text-align:left; vertical-align:top; }
thead th { background:#e9edf3; }
td.num, th.num { text-align:right; font-variant-numeric:tabular-nums; }
.sev { display:inline-block; padding:1px 7px; border-radius:10px; font-size:13px; font-weight:600; border:1px solid; }
.sev-critical { color:#fff; background:var(--bad); border-color:var(--bad); }
.sev-high { color:var(--bad); border-color:var(--bad); }
.sev-medium { color:var(--warn); border-color:var(--warn); }
.sev-low { color:var(--muted); border-color:var(--muted); }
.status-failed, .status-held { color:var(--bad); font-weight:600; } .status-succeeded, .status-approved { color:var(--ok); }
form.filters { display:flex; flex-wrap:wrap; gap:10px 16px; align-items:flex-end; background:var(--panel); padding:10px 12px; border-radius:8px; }
form.filters .field, form.stack .field { display:flex; flex-direction:column; gap:3px; } form.filters label, form.stack label { font-size:13px; font-weight:600; }
form.stack { display:flex; flex-direction:column; gap:10px; max-width:420px; }
input, select, textarea { font:inherit; padding:5px 8px; border:1px solid #8a93a3; border-radius:4px; background:#fff; color:var(--fg); }
button, .button { font:inherit; padding:6px 14px; border-radius:4px; border:1px solid #0b4fa8; background:#0b4fa8; color:#fff; cursor:pointer; text-decoration:none; display:inline-block; }
button.secondary, .button.secondary { background:#fff; color:#0b4fa8; }
svg.chart { max-width:100%; height:auto; } svg.chart text { font: 13px system-ui, sans-serif; fill:#1a1a1a; } svg.chart text.note { font-size:11px; fill:#4a5160; }
.charts { display:grid; grid-template-columns:repeat(auto-fit, minmax(540px, 1fr)); gap:16px; } figure.chart-figure { margin:0; } figcaption { font-weight:600; }
form.inline { display:inline; } pre.raw { white-space:pre-wrap; margin:0; font-size:12px; }
dl.facts { display:grid; grid-template-columns:max-content 1fr; gap:4px 14px; } dl.facts dt { font-weight:600; } dl.facts dd { margin:0; }
ol.timeline { list-style:none; padding:0; border-left:3px solid var(--line); margin-left:6px; }
ol.timeline li { padding:4px 0 8px 14px; position:relative; }
ol.timeline li::before { content:""; position:absolute; left:-8px; top:10px; width:11px; height:11px; border-radius:50%; background:#14213d; }
@media (max-width: 700px) {
  header.top { padding:8px 12px; } header.top form.search { margin-left:0; width:100%; } header.top form.search input { flex:1; }
  main { padding:12px; } .charts { grid-template-columns:1fr; }
}
@media print {
  header.top, form, .no-print, .skip { display:none !important; }
  body { font-size:11pt; } main { max-width:none; padding:0; }
  a { color:inherit; text-decoration:none; }
  table { page-break-inside:auto; } tr { page-break-inside:avoid; } thead { display:table-header-group; }
  .card, .banner { border:1px solid #000; background:#fff; color:#000; }
  .charts { grid-template-columns:1fr 1fr; }
}
`;
