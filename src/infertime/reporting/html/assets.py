"""The report's own style sheet and its one small script (sortable tables), inlined."""

from __future__ import annotations

# Nothing may load from outside the file: no fonts, no images, no scripts (the policy also
# stops anything that slipped in, with a console error the browser test sees).
CONTENT_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"
)

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;
margin:0 auto;max-width:1400px;padding:0 1.2rem 3rem;color:#1b1b1b;background:#fff;
line-height:1.4;font-size:15px}
h1{font-size:1.6rem;margin:1.2rem 0 .2rem}h2{font-size:1.3rem;margin-top:2.2rem;
border-bottom:2px solid #0072B2;padding-bottom:.2rem}h3{font-size:1.1rem;margin-top:1.6rem}
h4{font-size:.95rem;margin:.2rem 0 .4rem}
.stamp,.lead,.note{color:#555;font-size:.9rem}.lead{margin:.2rem 0}
nav ul{columns:2;font-size:.9rem;padding-left:1.2rem}
.panel{display:flex;flex-wrap:wrap;gap:1rem;align-items:flex-start;margin:.8rem 0 1.4rem;
padding:.6rem;border:1px solid #e3e3e3;border-radius:6px}
.panel figure{margin:0;flex:1 1 460px;min-width:320px;max-width:760px}
.panel figure svg{width:100%;height:auto}
.panel .numbers{flex:1 1 420px;overflow-x:auto}.panel.wide figure{flex-basis:100%;max-width:none}
table{border-collapse:collapse;font-size:.85rem;margin:.3rem 0}
caption{text-align:left;font-weight:600;padding:.2rem 0}
th,td{padding:.15rem .5rem;border-bottom:1px solid #eee;vertical-align:top;text-align:left}
th{background:#f5f7fa;font-weight:600}td.n{text-align:right;font-variant-numeric:tabular-nums;
white-space:nowrap}table.sortable th{cursor:pointer}table.sortable th:after{content:" \\2195";
color:#999}tr.warning td:first-child{color:#b35900;font-weight:600}
tr.front td{background:#fff4ec}table.facts td.n{text-align:left}
.skipped{background:#fff4ec;border-left:4px solid #D55E00;padding:.4rem .8rem}
@media print{.panel{break-inside:avoid}}
"""

# Sorts a table.sortable by the clicked column: numbers by data-value, text otherwise.
SCRIPT = """
document.querySelectorAll("table.sortable th").forEach(function(th,i){
th.addEventListener("click",function(){var body=th.closest("table").tBodies[0];
var up=th.dataset.dir!=="up";th.dataset.dir=up?"up":"down";
var rows=Array.prototype.slice.call(body.rows);rows.sort(function(a,b){
var x=a.cells[i],y=b.cells[i],u=x.dataset.value,v=y.dataset.value;
var c=(u!==undefined&&v!==undefined)?parseFloat(u)-parseFloat(v):
x.textContent.localeCompare(y.textContent);return up?c:-c;});
rows.forEach(function(r){body.appendChild(r);});});});
"""
