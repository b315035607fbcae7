// The report's on-demand detail: the data block (gzip + base64 JSON) is decoded once, and
// a click renders a row's sentences, theme targets and gene sets. Everything is built with
// textContent (never innerHTML), so markup in a sentence stays text.
(function () {
  "use strict";
  var D = null;
  var PUBMED = "https://pubmed.ncbi.nlm.nih.gov/", DOI = "https://doi.org/";
  var TIER = ["predicted", "validated", "validated (strong)"];

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    return e;
  }
  function add(parent) {
    for (var i = 1; i < arguments.length; i++) {
      var c = arguments[i];
      if (c === null || c === undefined) { continue; }
      parent.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    }
    return parent;
  }
  function fmtP(v) {
    if (v === null || v === undefined || v === "") { return "–"; }
    if (v <= 1e-300) { return "< 1e-300"; }
    if (v >= 1e-3) { return String(Number(v.toPrecision(2))); }
    var s = v.toExponential(1).split("e");
    return s[0] + "e" + parseInt(s[1], 10);
  }
  // A gene-set name that may wrap after its underscores (the text itself stays intact).
  function setName(cls, name) {
    var td = el("td", cls);
    String(name || "–").split("_").forEach(function (part, i) {
      if (i) { add(td, "_", el("wbr")); }
      add(td, part);
    });
    return td;
  }
  function num(v) { return v === null || v === undefined ? "–" : String(v); }

  // ---- pieces -------------------------------------------------------------------------
  function docLink(i) {
    var d = D.docs[i], span = el("span", "doc");
    var title = d[1] || d[0];
    add(span, el("span", "title", title), " ", el("span", "meta", [d[2], d[0]].filter(Boolean).join(" · ")));
    if (/^\d+$/.test(d[3] || "")) {
      var a = el("a", null, "PubMed " + d[3]); a.href = PUBMED + d[3] + "/"; a.rel = "noreferrer";
      add(span, " ", a);
    }
    if (d[4]) { var b = el("a", null, "doi:" + d[4]); b.href = DOI + d[4]; b.rel = "noreferrer"; add(span, " ", b); }
    return span;
  }
  function sentence(q) {
    var bq = el("blockquote"), text = q[1], spans = q[2], pos = 0;
    for (var i = 0; i < spans.length; i += 2) {
      if (spans[i] > pos) { add(bq, text.slice(pos, spans[i])); }
      add(bq, el("mark", null, text.slice(spans[i], spans[i + 1])));
      pos = spans[i + 1];
    }
    if (pos < text.length) { add(bq, text.slice(pos)); }
    return bq;
  }
  // Quoted sentences grouped by document, in the order of ``docs`` (doc indices), each once.
  function quotes(group, docs, limit, perDoc) {
    var box = el("div", "quotes"), g = D.g[group], shown = 0;
    if (!g) { return add(box, el("p", "meta", "No quoted sentence for this miRNA.")); }
    var byDoc = {};
    g.s.forEach(function (q) { (byDoc[q[0]] = byDoc[q[0]] || []).push(q); });
    var order = docs || g.s.map(function (q) { return q[0]; });
    var seen = {};
    order.forEach(function (i) {
      if (seen[i] || shown >= limit) { return; }
      seen[i] = true;
      var div = add(el("div", "qdoc"), docLink(i));
      if (byDoc[i]) { byDoc[i].slice(0, perDoc || 99).forEach(function (q) { add(div, sentence(q)); }); }
      else { add(div, el("p", "meta", "sentence not quoted here: see mentions.tsv")); }
      add(box, div); shown++;
    });
    if (!shown) { add(box, el("p", "meta", "No quoted sentence for this miRNA.")); }
    return box;
  }
  function geneChips(list, total) {
    var span = el("span", "genes");
    list.forEach(function (g) {
      var c = el("span", "gene t" + g[1], g[0]);
      c.title = TIER[g[1]] + (g[2] ? ", " + g[2] + " source" + (g[2] === 1 ? "" : "s") : "");
      add(span, c);
    });
    if (total > list.length) { add(span, el("span", "meta", " +" + (total - list.length) + " more")); }
    if (!total) { add(span, el("span", "meta", "–")); }
    return span;
  }
  // Evidence tier of each target of a miRNA, from its theme targets and top targets.
  function tiers(name) {
    var out = {}, tt = D.tt[name] || {};
    Object.keys(tt).forEach(function (t) { tt[t].g.forEach(function (g) { out[g[0]] = g; }); });
    ((D.t[name] || {}).top || []).forEach(function (g) { out[g[0]] = g; });
    return out;
  }
  function statsTable(rows, name) {
    var tier = tiers(name);
    var t = el("table", "stats");
    add(t, add(el("thead"), add(el("tr"), el("th", null, "gene set"), el("th", "num", "overlap / set"),
      el("th", "num", "p"), el("th", "num", "FDR"), el("th", null, "overlap genes, strongest evidence first"))));
    var body = el("tbody");
    add(t, body);
    rows.forEach(function (r) {
      var tr = el("tr", r[7] !== null && r[7] <= D.alpha ? "sig" : "");
      var what = r[3] === "themed" ? r[0] + " · themed: " + r[2] : r[0] + " · exploratory (own FDR)";
      add(tr, add(setName("set", r[1]), el("br"), el("span", "meta", what)),
        el("td", "num", num(r[4]) + " / " + num(r[5])), el("td", "num", fmtP(r[6])),
        el("td", "num", fmtP(r[7])),
        add(el("td", "genes"), geneChips(r[8].map(function (g) { return tier[g] || [g, 0, 0]; }), r[9])));
      add(body, tr);
    });
    return t;
  }
  function mirnaButton(name) {
    var b = el("button", "link", name); b.type = "button"; b.setAttribute("data-open", name);
    return b;
  }

  // ---- a theme row's detail -----------------------------------------------------------
  function evRow(theme, name) {
    var rows = D.ev[theme] || [];
    for (var i = 0; i < rows.length; i++) { if (rows[i][1] === name) { return rows[i]; } }
    return null;
  }
  function themeDetail(theme, name) {
    var r = evRow(theme, name), m = D.m[name] || [name], group = m[0];
    var box = el("div", "detail");
    if (!r) { return add(box, el("p", null, "No evidence row.")); }
    var left = el("div", "col"), right = el("div", "col");
    add(left, el("h4", null, "Sentences from " + theme + "-context documents (" + r[3] + ")"));
    if (r[4].length) { add(left, quotes(group, r[4], 5, 2)); }
    else { add(left, el("p", "meta", "No document names " + name + " in a " + theme + " context.")); }
    if (r[3] > Math.min(5, r[4].length)) { add(left, el("p", "meta", (r[3] - Math.min(5, r[4].length)) + " more " + theme + "-context documents: the miRNA's page below quotes more, evidence.tsv lists " + r[4].length + ", mentions.tsv has every sentence.")); }
    add(left, el("h4", null, "Other documents naming " + group + " (" + num(r[2]) + " in all)"));
    var other = (D.g[group] ? D.g[group].s : []).map(function (q) { return q[0]; })
      .filter(function (i) { return r[4].indexOf(i) < 0; });
    add(left, other.length ? quotes(group, other, 2, 1) : el("p", "meta", "none beyond the above"));
    var tt = (D.tt[name] || {})[theme] || {g: [], n: 0};
    add(right, el("h4", null, theme + " targets of " + name + " (validated first)"));
    add(right, geneChips(tt.g, tt.n));
    add(right, el("p", "meta", r[6] + " validated, " + num(r[7]) + " predicted only. Dark: validated (strong); mid: validated; light: predicted."));
    if (r[14].length) { add(right, el("h4", null, "Claimed in the papers' own sentences"), geneChips(r[14].map(function (g) { return [g, 1, 0]; }), r[14].length)); }
    add(right, el("h4", null, theme + " gene sets: themed FDR " + fmtP(r[12]) + (r[13] !== null ? "; literature as a whole p " + fmtP(r[13]) : "")));
    var st = (D.st[name] || []).filter(function (s) { return s[3] === "themed" && (";" + s[2] + ";").indexOf(";" + theme + ";") >= 0; });
    add(right, st.length ? statsTable(st, name) : el("p", "meta", "No themed gene-set row for this miRNA (no targets in the theme's sets)."));
    add(right, add(el("p"), "All about ", mirnaButton(name), " and its sibling arm: documents, targets, every gene set."));
    return add(box, add(el("div", "cols"), left, right));
  }
  function toggle(tr) {
    var next = tr.nextElementSibling;
    if (next && next.classList.contains("detail-row")) { next.remove(); tr.classList.remove("open"); return; }
    var table = tr.closest("table"), theme = table.getAttribute("data-theme");
    var td = el("td"); td.colSpan = tr.cells.length;
    add(td, themeDetail(theme, tr.getAttribute("data-mirna")));
    tr.after(add(el("tr", "detail-row"), td));
    tr.classList.add("open");
  }

  // ---- every row of a theme -----------------------------------------------------------
  function evTr(theme, r) {
    var tr = el("tr", "ev-row" + (r[12] !== null && r[12] <= D.alpha ? " sig" : ""));
    tr.setAttribute("data-mirna", r[1]); tr.tabIndex = 0;
    var chips = add(el("td", "genes"), geneChips(r[5].slice(0, 6).map(function (g) { return [g, 1, 0]; }), r[6] || 0));
    add(tr, el("td", "num", num(r[0])), add(el("td", "name", r[1]), r[15] ? el("br") : null, r[15] ? el("span", "tier", r[15]) : null), el("td", "num", num(r[2])),
      el("td", "num", num(r[3])), chips, el("td", "num", fmtP(r[12])),
      add(setName("set", r[9]), r[9] ? el("span", "meta", " (" + num(r[10]) + ")") : null));
    return tr;
  }
  function showAll(button) {
    var theme = button.getAttribute("data-theme");
    var table = document.querySelector('table.ev[data-theme="' + CSS.escape(theme) + '"]');
    var body = table.tBodies[0], frag = document.createDocumentFragment();
    (D.ev[theme] || []).forEach(function (r) { frag.appendChild(evTr(theme, r)); });
    body.textContent = ""; body.appendChild(frag); button.hidden = true;
  }

  // ---- the miRNA index and a precursor's page -----------------------------------------
  function groups() {
    var out = {};
    Object.keys(D.m).forEach(function (n) { (out[D.m[n][0]] = out[D.m[n][0]] || []).push(n); });
    return out;
  }
  function renderIndex() {
    var box = document.getElementById("mirna-index"), gs = groups();
    var keys = Object.keys(gs).sort(function (a, b) {
      var da = Math.max.apply(null, gs[a].map(function (n) { return D.m[n][2] || 0; }));
      var db = Math.max.apply(null, gs[b].map(function (n) { return D.m[n][2] || 0; }));
      return db - da || (a < b ? -1 : 1);
    });
    var frag = document.createDocumentFragment();
    keys.forEach(function (k) {
      var b = el("button", "chip", k + (gs[k].length > 1 ? " (" + gs[k].length + " arms)" : ""));
      b.type = "button"; b.setAttribute("data-open", gs[k][0]); b.setAttribute("data-key", k.toLowerCase());
      b.title = gs[k].join(", ");
      frag.appendChild(b);
    });
    box.appendChild(frag);
  }
  function armBlock(name) {
    var m = D.m[name], div = el("div", "arm");
    add(div, el("h4", null, name + " "), el("span", "meta", [m[1], m[4] && "family " + m[4], num(m[2]) + " documents, " + num(m[3]) + " mentions"].filter(Boolean).join(" · ")));
    if (m[5]) {
      var seq = el("p", "seq"), s = m[5], i = s.indexOf(m[6] || s.slice(1, 8));
      if (i < 0) { i = 1; }
      add(seq, s.slice(0, i), el("mark", null, s.slice(i, i + 7)), s.slice(i + 7), " ", el("span", "meta", "seed nt 2–8"));
      add(div, seq);
    }
    var ranks = el("p");
    D.themes.forEach(function (t) {
      var r = evRow(t, name);
      if (r) { add(ranks, el("span", "badge t" + D.themes.indexOf(t), t + ": rank " + r[0] + ", FDR " + fmtP(r[12]) + ", " + r[3] + " context docs"), " "); }
    });
    add(div, ranks);
    var t = D.t[name] || {top: [], n: 0, nv: 0};
    add(div, el("p", "meta", "Targets, strongest evidence first (" + t.n + " in all, " + t.nv + " validated; all in targets/consensus.tsv):"), geneChips(t.top, t.n));
    var st = D.st[name] || [];
    if (st.length) { add(div, el("p", "meta", "Gene sets (themed, then exploratory with their own FDR):"), statsTable(st, name)); }
    return div;
  }
  function openMirna(name) {
    if (!D || !D.m[name]) { return; }
    var group = D.m[name][0], box = document.getElementById("mirna-detail");
    var arms = (groups()[group] || [name]).slice().sort(function (a, b) {
      return (D.m[b][2] || 0) - (D.m[a][2] || 0) || (a < b ? -1 : 1);  // the most cited arm first
    });
    box.textContent = "";
    var art = el("article", "mirna"); art.id = "mirna-open";
    add(art, el("h3", null, group + (arms.length > 1 ? " (" + arms.join(", ") + ")" : "")));
    arms.forEach(function (a) { add(art, armBlock(a)); });
    var g = D.g[group];
    add(art, el("h4", null, "Sentences (each once, for both arms; " + (g ? g.nd : 0) + " documents name " + group + ")"));
    add(art, quotes(group, null, 1e9));
    if (g && g.nd > g.s.length) { add(art, el("p", "meta", "Quoted: the theme-context documents and the most-cited others; every mention is in mentions.tsv.")); }
    box.appendChild(art);
    art.scrollIntoView();
  }

  function wire() {
    document.addEventListener("click", function (e) {
      var t = e.target;
      if (!D || !(t instanceof Element)) { return; }
      var open = t.closest("[data-open]");
      if (open) { openMirna(open.getAttribute("data-open")); return; }
      var more = t.closest("button.more");
      if (more) { showAll(more); return; }
      var cell = t.closest("g.cell, g.node");
      if (cell) {
        if (cell.classList.contains("node")) { openMirna(cell.getAttribute("data-mirna")); return; }
        var theme = cell.getAttribute("data-theme"), name = cell.getAttribute("data-mirna");
        var table = document.querySelector('table.ev[data-theme="' + CSS.escape(theme) + '"]');
        var row = table && table.querySelector('tr.ev-row[data-mirna="' + CSS.escape(name) + '"]');
        if (!row && table) { showAll(table.parentElement.querySelector("button.more")); row = table.querySelector('tr.ev-row[data-mirna="' + CSS.escape(name) + '"]'); }
        if (row) { if (!row.classList.contains("open")) { toggle(row); } row.scrollIntoView(); }
        return;
      }
      var tr = t.closest("tr.ev-row");
      if (tr && !t.closest("a")) { toggle(tr); }
    });
    document.addEventListener("keydown", function (e) {
      if (D && e.key === "Enter" && e.target instanceof Element && e.target.matches("tr.ev-row")) { toggle(e.target); }
    });
    var filter = document.getElementById("mirna-filter");
    filter.addEventListener("input", function () {
      var q = filter.value.toLowerCase();
      document.querySelectorAll("#mirna-index button").forEach(function (b) {
        b.hidden = q !== "" && b.getAttribute("data-key").indexOf(q) < 0;
      });
    });
  }

  function decode(text) {
    var bin = atob(text.trim()), bytes = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) { bytes[i] = bin.charCodeAt(i); }
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    return new Response(stream).text().then(JSON.parse);
  }
  wire();
  decode(document.getElementById("mirlens-data").textContent).then(function (data) {
    D = data;
    renderIndex();
    document.documentElement.setAttribute("data-ready", "1");
  });
})();
