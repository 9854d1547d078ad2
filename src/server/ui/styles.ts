/**
 * The pages' stylesheet, inlined in every page (no asset requests, no CDN).
 * Status colours come from the Okabe–Ito palette and are always paired with
 * an icon and a word, so nothing is conveyed by colour alone.
 */
export const CSS = `
:root { --fg:#1d1d1f; --muted:#5b5b66; --line:#d9d9e0; --bg:#fff; --bg2:#f6f6f9; --link:#0057a3;
  --pass:#00734f; --warn:#8a5a00; --fail:#b34000; --error:#7a1f5c; --run:#005a8c; }
* { box-sizing: border-box; }
body { margin:0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color:var(--fg); background:var(--bg); }
a { color:var(--link); }
a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible { outline:3px solid #56B4E9; outline-offset:1px; }
header.top { background:#14213d; color:#fff; }
header.top nav { max-width:1280px; margin:0 auto; display:flex; gap:1.25rem; align-items:center; padding:.6rem 1rem; flex-wrap:wrap; }
header.top a { color:#fff; text-decoration:none; }
header.top a[aria-current="page"] { text-decoration:underline; text-underline-offset:4px; }
header.top .brand { font-weight:700; margin-right:1rem; }
header.top form { margin-left:auto; }
header.top button { background:transparent; color:#fff; border:1px solid #8aa; border-radius:4px; padding:.15rem .6rem; cursor:pointer; }
main { max-width:1280px; margin:0 auto; padding:1rem 1rem 3rem; overflow-wrap:break-word; }
h1 { font-size:1.45rem; margin:.6rem 0 .4rem; }
h2 { font-size:1.15rem; margin:1.6rem 0 .5rem; border-bottom:1px solid var(--line); padding-bottom:.2rem; }
h3 { font-size:1rem; margin:1.2rem 0 .4rem; }
.muted { color:var(--muted); }
.mono, code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size:.92em; }
table { border-collapse:collapse; width:100%; margin:.4rem 0 1rem; }
th, td { text-align:left; padding:.35rem .55rem; border-bottom:1px solid var(--line); vertical-align:top; }
thead th { background:var(--bg2); font-weight:600; white-space:nowrap; }
tbody tr:nth-child(even) { background:#fbfbfd; }
td.num, th.num { text-align:right; font-variant-numeric: tabular-nums; }
th a.sort { color:inherit; text-decoration:none; }
th a.sort:hover { text-decoration:underline; }
.badge { display:inline-flex; align-items:center; gap:.3em; padding:.05rem .5rem; border-radius:999px; font-weight:600; font-size:.85em; border:1.5px solid currentColor; white-space:nowrap; }
.badge .icon { font-size:1em; line-height:1; }
.s-success, .s-pass { color:var(--pass); background:#e6f4ef; }
.s-warned, .s-warn { color:var(--warn); background:#fdf3dc; }
.s-blocked, .s-fail { color:var(--fail); background:#fbe9df; }
.s-failed, .s-error { color:var(--error); background:#f6e6f0; }
.s-running { color:var(--run); background:#e4f1f9; }
.s-skipped { color:var(--muted); background:var(--bg2); }
.reason { border-left:5px solid var(--fail); background:#fbe9df; padding:.6rem .9rem; margin:.6rem 0 1rem; font-size:1.05rem; }
.reason .why { white-space:pre-wrap; }
.reason.warned { border-color:#E69F00; background:#fdf3dc; }
.reason.ok { border-color:#009E73; background:#e6f4ef; }
.next-step { border-left:5px solid var(--line); background:var(--bg2); padding:.5rem .9rem; margin:-.4rem 0 1rem; }
.next-step code { overflow-wrap:anywhere; }
form.filters { display:flex; flex-wrap:wrap; gap:.6rem 1rem; align-items:flex-end; background:var(--bg2); padding:.7rem .9rem; border-radius:6px; margin:.6rem 0; }
form.filters label { display:flex; flex-direction:column; font-size:.85em; color:var(--muted); gap:.15rem; }
input, select, button { font:inherit; padding:.25rem .4rem; border:1px solid #b9b9c3; border-radius:4px; background:#fff; color:var(--fg); }
button.primary { background:#0072B2; color:#fff; border-color:#0072B2; cursor:pointer; padding:.3rem .9rem; }
.pager { display:flex; gap:1rem; align-items:center; margin:.5rem 0; }
dl.facts { display:grid; grid-template-columns:max-content 1fr; gap:.2rem 1rem; margin:.4rem 0 1rem; }
dl.facts dt { color:var(--muted); }
dl.facts dd { margin:0; }
figure { margin:0; }
.chart-wrap { overflow-x:auto; margin:.5rem 0; }
.chart-wrap svg { max-width:100%; height:auto; }
.grid2 { display:grid; grid-template-columns: minmax(0,1fr) minmax(0,1fr); gap:1rem 2rem; }
.drift-grid { display:grid; grid-template-columns: minmax(0, 740px) minmax(0, 1fr); gap:1rem 2rem; align-items:start; }
@media (max-width: 1000px) { .grid2, .drift-grid { grid-template-columns: 1fr; } }
/*
 * Table cells keep words and numbers whole: a table sizes a column by its longest word, and 'anywhere' on the
 * whole page let a long message squeeze the others until "34,888" broke into "34,88/8" and "materialize" into
 * "material/ize". Numbers, kinds, verdicts, methods and times stay on one line; only text from the data, of any
 * length (messages, reasons, URIs, hashes, JSON values, slice and category values), may break inside a word, the
 * short ones of those kept whole up to a width.
 */
td.time, td.num, th.num, td.kind, td.status, td.method { white-space:nowrap; }
td.why, td.msg, td.uri, td.fp, .diff-before, .diff-after, td.free { overflow-wrap:anywhere; }
td.slice, th.category { overflow-wrap:anywhere; min-width:7em; }
dl.facts dd { overflow-wrap:anywhere; min-width:0; }
details > summary { cursor:pointer; }
.diff-before { color:var(--fail); }
.diff-after { color:var(--pass); }
.login { max-width:420px; margin:3rem auto; }
.login label { display:block; margin:.6rem 0 .2rem; }
.login input { width:100%; }
.error-box { border-left:5px solid var(--fail); background:#fbe9df; padding:.5rem .8rem; white-space:pre-wrap; }
.skip { position:absolute; left:-9999px; }
.skip:focus { left:1rem; top:.5rem; background:#fff; padding:.3rem; z-index:10; }
`;
