package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"sync"

	"github.com/usdtspec/usdtspec/internal/consumer"
)

// HTML is report.html: one page, no network. The table is rendered here
// (readable without script); the inline script sorts it by a column (click
// a header, or ;sort=CONSUMER in the address: worst first) and opens a
// cell's per-argument details (click a cell, or #cell=CONSUMER/CASE in the
// address). Once it has run, body carries data-ready="1".
func HTML(r *Report) ([]byte, error) {
	data, err := json.Marshal(r.Results)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	type cell struct {
		Consumer, Case, Text, Class string
		Counts                      consumer.Counts
		Sort                        int
	}
	type row struct {
		Case  string
		Cells []cell
	}
	var rows []row
	for _, cs := range r.Cases {
		rw := row{Case: cs}
		for _, c := range r.Consumers {
			res := r.Result(c.Name, cs)
			cl := cell{Consumer: c.Name, Case: cs, Text: Cell(res), Class: "none", Sort: -1}
			if res != nil && res.Error == "" {
				cl.Counts = res.Counts()
				cl.Class = class(cl.Counts)
				// Worst first when sorted descending: wrong, then refused, then not fired.
				cl.Sort = cl.Counts.Wrong*1_000_000 + cl.Counts.Refused*1_000 + cl.Counts.NotFired
			} else if res != nil {
				cl.Class, cl.Sort = "error", 1_000_000_000
			}
			rw.Cells = append(rw.Cells, cl)
		}
		rows = append(rows, rw)
	}
	type total struct {
		Consumer string
		Counts   consumer.Counts
		Class    string
	}
	var totals []total
	for _, c := range r.Consumers {
		t := r.Total(c.Name)
		totals = append(totals, total{c.Name, t, class(t)})
	}
	var b bytes.Buffer
	err = page().Execute(&b, map[string]any{
		"Consumers": r.Consumers, "Rows": rows, "Totals": totals, "Data": template.JS(data),
	})
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	return b.Bytes(), nil
}

func class(c consumer.Counts) string {
	switch {
	case c.Wrong > 0:
		return "wrong"
	case c.Refused > 0:
		return "refused"
	case c.NotFired > 0:
		return "notfired"
	case c.Right > 0:
		return "right"
	}
	return "none"
}

// page is parsed on first use, not when every usdtspec command starts.
var page = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>USDT consumers × conformance cases</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #222; }
table { border-collapse: collapse; }
th, td { border: 1px solid #ccc; padding: 3px 8px; }
th { background: #f0f0f0; cursor: pointer; user-select: none; }
th.sorted-desc::after { content: " ▼"; } th.sorted-asc::after { content: " ▲"; }
td.cell { cursor: pointer; font-family: ui-monospace, monospace; text-align: center; }
td.case { font-family: ui-monospace, monospace; }
.wrong { background: #f8b4b4; } .refused { background: #fde5a6; } .notfired { background: #d9d9f3; }
.right { background: #c4ecc4; } .error { background: #bbb; } .none { color: #999; }
td.open { outline: 3px solid #333; }
#details { margin-top: 1.5em; } #details table { margin-top: .5em; }
.legend span { padding: 1px 6px; margin-right: 4px; }
code { font-family: ui-monospace, monospace; }
</style>
</head>
<body>
<h1>USDT consumers × conformance cases</h1>
<p class="legend">Each cell: <span class="right">right</span>/<span class="wrong">wrong</span>/<span class="refused">refused</span>/<span class="notfired">not fired</span> probes.
Wrong is the worst: a value the probe did not pass, and nothing says so. Click a header to sort, a cell for its probes and arguments.</p>
<ul id="consumers">
{{range .Consumers}}<li><b>{{.Name}}</b>: {{if .Error}}did not run: {{.Error}}{{else}}{{.Version}}{{end}}</li>
{{end}}</ul>
<table id="matrix">
<thead><tr><th data-col="0">case</th>{{range $i, $c := .Consumers}}<th data-col="{{$i}}" data-consumer="{{$c.Name}}">{{$c.Name}}</th>{{end}}</tr></thead>
<tbody>
{{range .Rows}}<tr><td class="case">{{.Case}}</td>{{range .Cells}}<td class="cell {{.Class}}" data-consumer="{{.Consumer}}" data-case="{{.Case}}" data-sort="{{.Sort}}" title="right/wrong/refused/not fired">{{.Text}}</td>{{end}}</tr>
{{end}}</tbody>
<tfoot><tr><th>total</th>{{range .Totals}}<td class="cell {{.Class}}" data-consumer="{{.Consumer}}">{{.Counts.Right}}/{{.Counts.Wrong}}/{{.Counts.Refused}}/{{.Counts.NotFired}}</td>{{end}}</tr></tfoot>
</table>
<div id="details"></div>
<script id="data" type="application/json">{{.Data}}</script>
<script>
"use strict";
const results = JSON.parse(document.getElementById("data").textContent) || [];
const order = {"wrong": 0, "refused": 1, "not fired": 2, "right": 3};
function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  for (const k of kids) e.append(k);
  return e;
}
function open(consumer, kase) {
  document.querySelectorAll("td.open").forEach(t => t.classList.remove("open"));
  const td = [...document.querySelectorAll("td.cell")].find(t => t.dataset.consumer === consumer && t.dataset.case === kase);
  if (td) td.classList.add("open");
  const d = document.getElementById("details");
  d.replaceChildren();
  const r = results.find(x => x.consumer === consumer && x.case === kase);
  if (!r) { d.append(el("p", {}, "No result for " + consumer + " on " + kase + ".")); return; }
  d.append(el("h2", {id: "details-title"}, consumer + " on " + kase));
  if (r.error) d.append(el("p", {"class": "error"}, "did not run: " + r.error));
  const probes = [...(r.probes || [])].sort((a, b) => order[a.outcome] - order[b.outcome]);
  const t = el("table", {id: "details-table"}, el("tr", {},
    el("th", {}, "probe"), el("th", {}, "outcome"), el("th", {}, "hits/lines"), el("th", {}, "arg"),
    el("th", {}, "operand"), el("th", {}, "expected"), el("th", {}, "decoded"), el("th", {}, "message")));
  for (const p of probes) {
    const args = p.args && p.args.length ? p.args : [null];
    const cls = p.outcome.replace(" ", "");
    args.forEach((a, i) => {
      const tr = el("tr", {"class": cls, "data-probe": p.probe});
      if (i === 0) {
        tr.append(el("td", {rowspan: args.length}, p.probe), el("td", {rowspan: args.length}, p.outcome + (p.message ? ": " + p.message : "")),
          el("td", {rowspan: args.length}, p.hits + "/" + p.lines));
      }
      if (a) {
        tr.append(el("td", {}, "#" + a.index), el("td", {}, el("code", {}, a.operand || "")), el("td", {}, a.expected || ""),
          el("td", {}, a.decoded || ""), el("td", {"class": (a.outcome || "").replace(" ", "")}, a.outcome + (a.message ? ": " + a.message : "")));
      } else {
        tr.append(el("td", {colspan: 5}, "no arguments"));
      }
      t.append(tr);
    });
  }
  d.append(t);
}
document.querySelectorAll("#matrix tbody td.cell").forEach(td =>
  td.addEventListener("click", () => { location.hash = "cell=" + encodeURIComponent(td.dataset.consumer) + "/" + encodeURIComponent(td.dataset.case); }));
function sortBy(th, idx, desc) {
  const tbody = document.querySelector("#matrix tbody");
  document.querySelectorAll("#matrix thead th").forEach(h => h.classList.remove("sorted-desc", "sorted-asc"));
  th.classList.add(desc ? "sorted-desc" : "sorted-asc");
  const key = tr => idx === 0 ? tr.cells[0].textContent : Number(tr.cells[idx].dataset.sort);
  const rows = [...tbody.rows].sort((a, b) => {
    const x = key(a), y = key(b);
    const c = typeof x === "number" ? x - y : x.localeCompare(y);
    return desc && idx !== 0 ? -c : (desc ? c : -c);
  });
  tbody.append(...rows);
}
document.querySelectorAll("#matrix thead th").forEach((th, idx) =>
  th.addEventListener("click", () => sortBy(th, idx, !th.classList.contains("sorted-desc"))));
// #cell=CONSUMER/CASE opens a cell; ;sort=CONSUMER sorts by its column,
// worst first.
function fromHash() {
  for (const part of location.hash.replace(/^#/, "").split(";")) {
    const [k, v] = part.split(/=(.*)/);
    if (k === "cell" && v && v.includes("/")) {
      const i = v.indexOf("/");
      open(decodeURIComponent(v.slice(0, i)), decodeURIComponent(v.slice(i + 1)));
    } else if (k === "sort" && v) {
      const ths = [...document.querySelectorAll("#matrix thead th")];
      const idx = ths.findIndex(h => h.dataset.consumer === decodeURIComponent(v));
      if (idx > 0) sortBy(ths[idx], idx, true);
    }
  }
}
window.addEventListener("hashchange", fromHash);
fromHash();
document.body.dataset.ready = "1";
</script>
</body>
</html>
`))
})
