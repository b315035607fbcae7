"""`mirlens report`: one self-contained HTML report, an XLSX workbook and the plots.

The report answers "which of my papers' miRNAs drive EMT, angiogenesis or immune
pathways, and on what evidence?" and lets the reader check every claim: each number links
to the rows behind it (sentences, target rows, overlap genes), figures are inline SVG, and
nothing is loaded from outside the file (a Content-Security-Policy forbids it).
"""

from __future__ import annotations

import argparse
import math
import re
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pandas as pd
from jinja2 import Environment, FileSystemLoader
from markupsafe import Markup

from mirlens import __version__
from mirlens.io import atomic_open, split_list
from mirlens.report import plots
from mirlens.report.load import COMBINED_SCOPES, Results, load_results
from mirlens.report.xlsx import write_workbook

TEMPLATES = Path(__file__).parent / "templates"
THEME_ORDER = ("emt", "angiogenesis", "immune")
PUBMED = "https://pubmed.ncbi.nlm.nih.gov/{}/"
DOI = "https://doi.org/{}"
MAX_LISTED = 1000  # target rows listed per miRNA and source in the HTML (all in the workbook)


def slug(*parts: Any) -> str:
    """An HTML id from arbitrary text (stable, readable)."""
    text = "-".join(str(p) for p in parts)
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-") or "x"


def fmt_p(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value == "":
        return "–"
    value = float(value)
    return f"{value:.2g}" if value >= 1e-3 else f"{value:.1e}"


def fmt_num(value: Any, digits: int = 3) -> str:
    if value is None or value == "" or (isinstance(value, float) and math.isnan(value)):
        return "–"
    value = float(value)
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if math.isinf(value):
        return "∞"
    return f"{value:.{digits}g}"


def theme_list(value: Any) -> list[str]:
    return [t.strip() for t in split_list(value) if t.strip()]


def order_themes(themes: set[str]) -> list[str]:
    def key(t: str) -> tuple:
        low = t.lower()
        for i, pref in enumerate(THEME_ORDER):
            if low.startswith(pref):
                return (i, low)
        return (len(THEME_ORDER), low)

    return sorted(themes, key=key)


def mark_spans(sentence: str, spans: list[tuple[int, int]]) -> list[tuple[str, bool]]:
    """Split ``sentence`` into (text, is_mention) pieces; overlapping spans are merged."""
    merged: list[list[int]] = []
    for start, end in sorted(s for s in spans if 0 <= s[0] < s[1] <= len(sentence)):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    pieces, pos = [], 0
    for start, end in merged:
        if start > pos:
            pieces.append((sentence[pos:start], False))
        pieces.append((sentence[start:end], True))
        pos = end
    if pos < len(sentence):
        pieces.append((sentence[pos:], False))
    return pieces


def mention_spans(rows: pd.DataFrame, sentence: str) -> list[tuple[int, int]]:
    """Where the mentions sit in their sentence.

    Offsets in mentions.tsv are into the document, so the span is found by its text (every
    occurrence: the same name twice in a sentence is two mentions); a ``sentence_start``
    column, if a producer adds one, is used directly.
    """
    spans = []
    for row in rows.itertuples(index=False):
        sstart = getattr(row, "sentence_start", "")
        if sstart not in ("", None) and str(sstart).lstrip("-").isdigit():
            spans.append((int(row.start) - int(sstart), int(row.end) - int(sstart)))
            continue
        text = str(row.text)
        for m in re.finditer(re.escape(text), sentence) if text else []:
            spans.append((m.start(), m.end()))
    return spans


def seed_pieces(sequence: str, seed: str) -> list[tuple[str, bool]]:
    """The mature sequence with the seed (nt 2-8) marked."""
    if not sequence:
        return []
    if seed and sequence[1:8] == seed:
        start = 1
    elif seed and seed in sequence:
        start = sequence.index(seed)
    else:
        start, seed = 1, sequence[1:8]
    return mark_spans(sequence, [(start, start + len(seed))])


class ReportBuilder:
    """Turns loaded results into the template context, the workbook tables and the plots."""

    def __init__(
        self, res: Results, top: int = 25, alpha: float = 0.05, plots_dir: Path | None = None
    ):
        self.res, self.top, self.alpha, self.plots_dir = res, top, alpha, plots_dir
        enr = res.enrichment
        has_emp = "empirical_fdr" in enr.columns and enr["empirical_fdr"].notna().any()
        self.stat = "empirical_fdr" if has_emp or enr.empty else "fdr"
        if self.stat == "fdr":
            res.notes.append("empirical_fdr is empty; the theme panel uses the BH fdr instead")
        enr = enr.copy()
        enr["stat"] = enr[self.stat]
        enr["themes"] = [theme_list(t) for t in enr["theme"]]
        enr["row_id"] = [
            slug("enr", s, lib, g)
            for s, lib, g in zip(enr["scope"], enr["library"], enr["gene_set"], strict=True)
        ]
        self.enr = enr.sort_values(
            ["stat", "pvalue", "scope", "library", "gene_set"], na_position="last", kind="mergesort"
        )
        self.themes = order_themes({t for ts in enr["themes"] for t in ts})
        self.docs = {r["doc_id"]: r for r in res.documents.to_dict("records")}

    # ---- building blocks -------------------------------------------------------------
    def doc_ref(self, doc_id: str) -> dict:
        d = self.docs.get(doc_id, {})
        pmid, doi = str(d.get("pmid", "") or ""), str(d.get("doi", "") or "")
        return {
            "doc_id": doc_id,
            "anchor": slug("doc", doc_id),
            "title": d.get("title", "")
            or (f"{doc_id} ({Path(str(d['path'])).name})" if d.get("path") else doc_id),
            "year": d.get("year", ""),
            "pmid": pmid,
            "pubmed": PUBMED.format(pmid) if pmid.isdigit() else "",
            "doi": doi,
            "doi_url": DOI.format(doi) if doi else "",
        }

    def theme_matrix(self) -> dict:
        """Best (lowest) statistic per scope x theme, with the row it comes from."""
        themed = self.enr[self.enr["themes"].map(bool).astype(bool) & self.enr["stat"].notna()]
        best: dict[tuple[str, str], dict] = {}
        for row in themed.to_dict("records"):  # sorted by stat: first seen is best
            for theme in row["themes"]:
                best.setdefault((row["scope"], theme), row)
        strongest = {}
        for (scope, _theme), row in best.items():
            strongest[scope] = min(strongest.get(scope, math.inf), row["stat"])
        mirna_scopes = sorted(
            (s for s in self.mirna_order if s in strongest), key=lambda s: (strongest[s], s)
        )
        combined = [s for s in COMBINED_SCOPES if any((s, t) in best for t in self.themes)]
        extra = sorted({s for s, _ in best} - set(mirna_scopes) - set(combined))
        rows = combined + mirna_scopes + extra  # all-miRNA summaries first
        self.matrix_scopes = rows
        shown = rows[: len(combined) + self.top]
        cells = []
        for scope in rows:
            line = []
            for theme in self.themes:
                r = best.get((scope, theme))
                line.append(
                    None
                    if r is None
                    else {
                        "value": r["stat"],
                        "text": fmt_p(r["stat"]),
                        "gene_set": r["gene_set"],
                        "library": r["library"],
                        "href": "#" + r["row_id"],
                        "significant": r["stat"] <= self.alpha,
                        "level": min(
                            1.0,
                            plots.neglog10(r["stat"]) / max(1e-9, 2 * plots.neglog10(self.alpha)),
                        ),
                    }
                )
            cells.append(
                {
                    "scope": scope,
                    "combined": scope in COMBINED_SCOPES,
                    "anchor": self.scope_anchor(scope),
                    "cells": line,
                }
            )
        fig = plots.heatmap(
            shown,
            self.themes,
            {k: v["stat"] for k, v in best.items()},
            {k: "#" + v["row_id"] for k, v in best.items()},
            self.alpha,
            self.stat,
        )
        return {
            "rows": cells,
            "best": best,
            "figure": self.figure(fig, "theme_heatmap"),
            "truncated": len(rows) - len(shown),
        }

    def dotplot(self, best: dict) -> Markup | None:
        themed = self.enr[self.enr["themes"].map(bool).astype(bool) & self.enr["stat"].notna()]
        # Gene sets: those that are some scope's best set for a theme, then the strongest.
        # The strongest scopes of the theme panel, and their strongest themed gene sets:
        # a readable figure; the tables hold the rest.
        scopes = self.matrix_scopes[:16]
        mine = themed[themed["scope"].isin(scopes)]
        sets = list(mine.groupby("gene_set")["stat"].min().sort_values(kind="mergesort").index)
        sets = sets[:20]
        pts = themed[themed["gene_set"].isin(sets) & themed["scope"].isin(scopes)]
        pts = pts.drop_duplicates(["scope", "gene_set"])
        points = [
            {
                "scope": r["scope"],
                "gene_set": r["gene_set"],
                "stat": r["stat"],
                "overlap": r["overlap"] if r["overlap"] == r["overlap"] else 0,
            }
            for r in pts.to_dict("records")
        ]
        fig = plots.dotplot(points, scopes, sets, self.alpha, self.stat)
        return self.figure(fig, "theme_dotplot")

    def findings(self) -> list[dict]:
        """Significant themed results, strongest first: the answer at a glance."""
        sig = self.enr[self.enr["themes"].map(bool).astype(bool) & (self.enr["stat"] <= self.alpha)]
        out = []
        for r in sig.to_dict("records"):
            info = self.mirna_info.get(r["scope"], {})
            out.append(
                {
                    "scope": r["scope"],
                    "combined": r["scope"] in COMBINED_SCOPES,
                    "scope_anchor": self.scope_anchor(r["scope"]),
                    "themes": r["themes"],
                    "gene_set": r["gene_set"],
                    "library": r["library"],
                    "href": "#" + r["row_id"],
                    "stat": fmt_p(r["stat"]),
                    "overlap": fmt_num(r["overlap"]),
                    "set_size": fmt_num(r["set_size"]),
                    "genes": split_list(r["genes"]),
                    "n_documents": info.get("n_documents", ""),
                    "docs_href": "#" + slug("mirna", info.get("mirbase_id", ""), "docs"),
                }
            )
        return out

    def scope_anchor(self, scope: str) -> str:
        info = self.mirna_info.get(scope)
        if info:
            return "#" + slug("mirna", info["mirbase_id"])
        return "#" + slug("scope", scope)

    def network(self, findings: list[dict], max_pairs: int = 10, max_genes: int = 40):
        pairs = [f for f in findings if not f["combined"]][:max_pairs]
        genes_count = Counter(g for f in pairs for g in f["genes"])
        keep = {g for g, _ in sorted(genes_count.items(), key=lambda x: (-x[1], x[0]))[:max_genes]}
        edges = [(f["scope"], g, f["gene_set"]) for f in pairs for g in f["genes"] if g in keep]
        set_theme = {f["gene_set"]: f["themes"][0] for f in pairs}
        fig = plots.network(edges, set_theme, self.themes)
        return {
            "figure": self.figure(fig, "network"),
            "n_pairs": len(pairs),
            "n_genes": len(keep),
            "n_genes_all": len(genes_count),
        }

    def figure(self, fig, name: str) -> Markup | None:
        if fig is None:
            return None
        return Markup(plots.inline_svg(plots.save(fig, self.plots_dir, name), name))

    # ---- sections --------------------------------------------------------------------
    def prepare_mirnas(self) -> None:
        m = self.res.mirnas.copy()
        best = self.enr[self.enr["themes"].map(bool).astype(bool)].groupby("scope")["stat"].min()
        m["best"] = [best.get(n, math.inf) for n in m["name"]]
        # Findings first (strongest first), then the miRNAs with the most documents.
        m["rank"] = [b if b <= self.alpha else math.inf for b in m["best"]]
        m["n_docs_sort"] = m["n_documents"].fillna(0)
        m = m.sort_values(
            ["rank", "n_docs_sort", "name"], ascending=[True, False, True], kind="mergesort"
        )
        self.mirna_rows = m.to_dict("records")
        self.mirna_order = [r["name"] for r in self.mirna_rows]
        self.mirna_info = {r["name"]: r for r in self.mirna_rows}

    def mirna_section(self, row: dict) -> dict:
        res, mid, name = self.res, row["mirbase_id"], row["name"]
        ment = res.mentions[[mid in split_list(ids) for ids in res.mentions["mirbase_ids"]]]
        docs = []
        for doc_id, dm in ment.groupby("doc_id", sort=True):
            sentences = []
            for sentence, sm in dm.groupby("sentence", sort=False):
                sentences.append(
                    {
                        "pieces": mark_spans(sentence, mention_spans(sm, sentence)),
                        "status": ";".join(sorted(set(sm["status"]))),
                        "n": len(sm),
                        "offsets": ", ".join(
                            f"{fmt_num(a)}–{fmt_num(b)}"
                            for a, b in zip(sm["start"], sm["end"], strict=True)
                        ),
                    }
                )
            docs.append({**self.doc_ref(doc_id), "sentences": sentences, "n_mentions": len(dm)})
        docs.sort(key=lambda d: (-d["n_mentions"], d["doc_id"]))  # most mentions first
        listed = set(split_list(row.get("documents", "")))
        missing_docs = sorted(listed - {d["doc_id"] for d in docs})
        by_source = []
        for source, tdf in sorted(res.targets.items()):
            t = tdf[
                (tdf["mirbase_id"] == mid) | ((tdf["mirbase_id"] == "") & (tdf["mirna"] == name))
            ]
            t = t.sort_values("gene_symbol", kind="mergesort")
            ev = Counter(e for e in t["evidence"] for e in split_list(e) if e)
            by_source.append(
                {
                    "source": source,
                    "n": len(t),
                    "n_genes": t["gene_symbol"].nunique(),
                    "anchor": slug("mirna", mid, "targets", source),
                    "genes": ", ".join(
                        g + (f" ({'; '.join(x for x in (str(s), str(e)) if x)})" if s or e else "")
                        for g, s, e in zip(
                            t["gene_symbol"][:MAX_LISTED],
                            t["score"][:MAX_LISTED],
                            t["evidence"][:MAX_LISTED],
                            strict=True,
                        )
                    ),
                    "n_listed": min(len(t), MAX_LISTED),
                    "evidence": sorted(ev.items(), key=lambda x: (-x[1], x[0])),
                }
            )
        cons = res.consensus[res.consensus["mirbase_id"] == mid].copy()
        cons["ns"] = cons["n_sources"].fillna(0)
        cons = cons.sort_values(["ns", "gene_symbol"], ascending=[False, True], kind="mergesort")
        enr = self.enr[self.enr["scope"] == name]
        return {
            "name": name,
            "mirbase_id": mid,
            "anchor": slug("mirna", mid),
            "docs_anchor": slug("mirna", mid, "docs"),
            "cons_anchor": slug("mirna", mid, "consensus"),
            "enr_anchor": slug("mirna", mid, "enrichment"),
            "family": row.get("family", ""),
            "seq": seed_pieces(row.get("sequence", ""), row.get("seed", "")),
            "seed": row.get("seed", ""),
            "n_documents": fmt_num(row.get("n_documents")),
            "n_mentions": fmt_num(row.get("n_mentions")),
            "n_mentions_listed": len(ment),
            "docs": docs,
            "missing_docs": missing_docs,
            "targets": by_source,
            "consensus": cons.head(self.top).to_dict("records"),
            "n_consensus": len(cons),
            "consensus_by_n": sorted(Counter(int(n) for n in cons["ns"]).items(), reverse=True),
            "enrichment": self.shown_rows(enr),
            "n_enrichment": self.res.n_tested.get(name, len(enr)),
            "n_significant": int((enr["stat"] <= self.alpha).sum()),
            "best_themes": [
                (t, self.best[(name, t)]) for t in self.themes if (name, t) in self.best
            ],
            "theme_cells": [self.best.get((name, t)) for t in self.themes],
        }

    def shown_rows(self, enr: pd.DataFrame) -> list[dict]:
        """The strongest rows plus every row a link elsewhere points to (findings, best)."""
        linked = {r["row_id"] for r in self.best.values()} | self.finding_ids
        keep = [i < self.top or rid in linked for i, rid in enumerate(enr["row_id"])]
        return [self.enr_row(r) for r in enr[keep].to_dict("records")]

    def enr_row(self, r: dict) -> dict:
        return {
            **r,
            "genes_list": split_list(r["genes"]),
            "pvalue_f": fmt_p(r["pvalue"]),
            "fdr_f": fmt_p(r["fdr"]),
            "emp_p_f": fmt_p(r["empirical_pvalue"]),
            "emp_fdr_f": fmt_p(r["empirical_fdr"]),
            "or_f": fmt_num(r["odds_ratio"]),
            "significant": r["stat"] <= self.alpha,
        }

    def combined_sections(self) -> list[dict]:
        out = []
        for scope in sorted(
            set(self.enr["scope"]) - set(self.mirna_order),
            key=lambda s: (s not in COMBINED_SCOPES, s),
        ):
            enr = self.enr[self.enr["scope"] == scope]
            out.append(
                {
                    "scope": scope,
                    "anchor": slug("scope", scope),
                    "n": self.res.n_tested.get(scope, len(enr)),
                    "rows": self.shown_rows(enr),
                    "n_significant": int((enr["stat"] <= self.alpha).sum()),
                }
            )
        return out

    def documents_section(self) -> dict:
        res = self.res
        named = defaultdict(set)
        counts = Counter()
        for r in res.mentions.itertuples(index=False):
            counts[r.doc_id] += 1
            if r.status in ("resolved", "ambiguous"):
                for name in split_list(r.mirbase_names):
                    named[r.doc_id].add(name)
        rows = []
        for d in res.documents.sort_values(["doc_id"], kind="mergesort").to_dict("records"):
            rows.append(
                {
                    **self.doc_ref(d["doc_id"]),
                    "source": d.get("source", ""),
                    "status": d.get("status", ""),
                    "n_mentions": counts[d["doc_id"]],
                    "mirnas": [
                        (n, self.scope_anchor(n) if n in self.mirna_info else "")
                        for n in sorted(named[d["doc_id"]])
                    ],
                }
            )
        ok = [r for r in rows if r["status"] == "ok"]
        per_year: dict[str, list[int]] = {}
        for r in ok:
            year = str(r["year"]) or "unknown"
            per_year.setdefault(year, [0, 0])[0 if r["mirnas"] else 1] += 1
        years = sorted(per_year.items(), key=lambda x: (x[0] == "unknown", x[0]))
        fig = plots.years([(y, a, b) for y, (a, b) in years])
        return {
            "rows": rows,
            "n_ok": len(ok),
            "n_skipped": len(rows) - len(ok),
            "skipped": [r for r in rows if r["status"] != "ok"],
            "n_with_mirna": sum(1 for r in ok if r["mirnas"]),
            "years": years,
            "years_figure": self.figure(fig, "documents_per_year"),
        }

    def targets_summary(self) -> dict:
        rows = []
        for source, t in sorted(self.res.targets.items()):
            rows.append(
                {
                    "source": source,
                    "n": len(t),
                    "n_mirnas": t["mirbase_id"].nunique(),
                    "n_genes": t["gene_symbol"].nunique(),
                    "anchor": slug("source", source),
                }
            )
        cons = self.res.consensus
        fig = plots.targets_per_source([(r["source"], r["n"], r["n_mirnas"]) for r in rows])
        return {
            "rows": rows,
            "n_consensus": len(cons),
            "consensus_by_n": sorted(
                Counter(int(n) for n in cons["n_sources"].fillna(0)).items(), reverse=True
            ),
            "figure": self.figure(fig, "targets_per_source"),
        }

    def provenance_section(self) -> dict:
        prov = self.res.provenance or {}
        config = self.res.config if self.res.config is not None else prov.get("config")
        stats = dict(prov.get("target_stats") or {})
        stats.update(self.res.target_stats)
        return {
            "present": bool(prov),
            "sources": prov.get("sources", []),
            "software": sorted((prov.get("software") or {}).items()),
            "documents": prov.get("documents") or {},
            "config": flatten(config) if config else [],
            "stats": {k: flatten(v) for k, v in sorted(stats.items())},
        }

    def context(self) -> dict:
        self.prepare_mirnas()
        matrix = self.theme_matrix()
        self.best = matrix["best"]
        findings = self.findings()
        self.finding_ids = {f["href"][1:] for f in findings}
        theme_mirnas = [
            (
                t,
                list(
                    dict.fromkeys(
                        (f["scope"], f["scope_anchor"])
                        for f in findings
                        if t in f["themes"] and not f["combined"]
                    )
                ),
            )
            for t in self.themes
        ]
        mentions = self.res.mentions
        docs = self.documents_section()
        return {
            "version": __version__,
            "alpha": self.alpha,
            "max_p": self.res.max_p,
            "stat": self.stat,
            "top": self.top,
            "themes": self.themes,
            "notes": self.res.notes,
            "n_mirnas": len(self.res.mirnas),
            "mention_status": sorted(Counter(mentions["status"]).items()),
            "n_mentions": len(mentions),
            "libraries": sorted(self.res.n_tested_library.items()),
            "closest": [
                (
                    t,
                    min(
                        (
                            (v["stat"], s)
                            for (s, tt), v in self.best.items()
                            if tt == t and s in self.mirna_info
                        ),
                        default=None,
                    ),
                )
                for t in self.themes
            ],
            "fold": len([r for r in matrix["rows"] if r["combined"]]) + self.top,
            "matrix": matrix,
            "dotplot": self.dotplot(self.best),
            "findings": findings,
            "theme_mirnas": theme_mirnas,
            "finding_mirnas": sorted({f["scope"] for f in findings if not f["combined"]}),
            "network": self.network(findings),
            "mirnas": [self.mirna_section(r) for r in self.mirna_rows],
            "combined": self.combined_sections(),
            "documents": docs,
            "targets": self.targets_summary(),
            "unresolved": self.res.unresolved.sort_values(
                ["n_mentions", "text"], ascending=[False, True], kind="mergesort"
            ).to_dict("records"),
            "provenance": self.provenance_section(),
        }


def flatten(value: Any, prefix: str = "") -> list[tuple[str, str]]:
    """Nested dicts as (dotted key, value) rows; lists of scalars joined by ', '."""
    if isinstance(value, dict):
        out = []
        for k in sorted(value, key=str):
            out += flatten(value[k], f"{prefix}.{k}" if prefix else str(k))
        return out or [(prefix, "{}")]
    if isinstance(value, list):
        if all(not isinstance(v, dict | list) for v in value):
            return [(prefix, ", ".join(str(v) for v in value))]
        out = []
        for i, v in enumerate(value):
            out += flatten(v, f"{prefix}[{i}]")
        return out
    return [(prefix, "" if value is None else str(value))]


def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(p=fmt_p, num=fmt_num, slug=slug)
    env.globals["inline"] = lambda name: Markup((TEMPLATES / name).read_text(encoding="utf-8"))
    return env


def build_report(
    results_dir: Path,
    out: Path,
    xlsx: Path | None = None,
    plots_dir: Path | None = None,
    provenance: Path | None = None,
    config: Path | None = None,
    top: int = 25,
    alpha: float = 0.05,
    max_p: float = 0.05,
) -> dict:
    res = load_results(results_dir, provenance, config, max_p=max_p, alpha=alpha)
    if plots_dir is not None:  # exists even when there is nothing to plot (a rule output)
        Path(plots_dir).mkdir(parents=True, exist_ok=True)
    builder = ReportBuilder(res, top=top, alpha=alpha, plots_dir=plots_dir)
    ctx = builder.context()
    html = environment().get_template("report.html.j2").render(**ctx)
    with atomic_open(out) as fh:
        fh.write(html)
    if xlsx is not None:
        write_workbook(res, builder.enr, ctx, xlsx)
    return ctx


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--results-dir", type=Path, default=Path("results"))
    parser.add_argument("--out", type=Path, default=Path("results/report/index.html"))
    parser.add_argument("--xlsx", type=Path, help="write every table to this workbook")
    parser.add_argument("--plots-dir", type=Path, help="write every figure as SVG and PNG here")
    parser.add_argument(
        "--provenance", type=Path, help="provenance.json (default: <results-dir>/provenance.json)"
    )
    parser.add_argument(
        "--config", type=Path, help="config.json (default: <results-dir>/config.json)"
    )
    parser.add_argument(
        "--top",
        type=int,
        default=25,
        help="rows per miRNA shown in the HTML (all rows go to the workbook)",
    )
    parser.add_argument(
        "--alpha",
        type=float,
        default=0.05,
        help="FDR threshold for a finding (empirical FDR when available)",
    )
    parser.add_argument(
        "--max-p",
        type=float,
        default=0.05,
        help="enrichment rows with a larger p, no theme and FDR above --alpha are left out of "
        "the HTML and workbook (they stay in enrichment/<library>.tsv)",
    )


def run(args: argparse.Namespace) -> int:
    build_report(
        args.results_dir,
        args.out,
        args.xlsx,
        args.plots_dir,
        args.provenance,
        args.config,
        args.top,
        args.alpha,
        args.max_p,
    )
    return 0
