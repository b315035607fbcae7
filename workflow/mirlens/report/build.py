"""`mirlens report`: one self-contained HTML report, a summary workbook and the figures.

The first screen answers "which miRNAs of my papers act on EMT, angiogenesis or immune
pathways, how strongly, and on what evidence?" per theme, straight from the evidence table.
Everything behind a row (its sentences, theme targets, gene-set statistics) is embedded
once, compressed, in the same offline file and rendered on demand, so the page stays small
and fast at any literature size; nothing is loaded from elsewhere (a Content-Security-Policy
forbids it).
"""

from __future__ import annotations

import argparse
from collections import Counter, namedtuple
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
from jinja2 import Environment, FileSystemBytecodeCache, FileSystemLoader
from markupsafe import Markup

from mirlens import __version__
from mirlens.evidence.table import TIERS
from mirlens.io import atomic_open, split_list
from mirlens.report import data, quotes, svg, targets
from mirlens.report.fmt import fmt_num, fmt_p, precursor, slug
from mirlens.report.load import EVIDENCE_COLS, PARTS, Results, add_input_arguments, load_results

TEMPLATES = Path(__file__).parent / "templates"
THEME_ORDER = ("emt", "angiogenesis", "immune")
# with a targets summary (`report-targets`) the page reads no consensus or enrichment rows
SUMMARISED = frozenset({"consensus", "enrichment"})


def order_themes(themes: list[str], config: dict | None) -> list[str]:
    """Configured order first (EMT, angiogenesis, immune, then the user's), then the rest."""
    configured = list(((config or {}).get("enrichment") or {}).get("themes") or {})

    def key(t: str) -> tuple:
        if t in configured:
            return (0, configured.index(t), t)
        low = t.lower()
        pref = [i for i, p in enumerate(THEME_ORDER) if low.startswith(p)]
        return (1, pref[0] if pref else len(THEME_ORDER), low)

    return sorted(set(themes) | set(configured), key=key)


def evidence_by_theme(evidence: pd.DataFrame, config: dict | None) -> dict[str, pd.DataFrame]:
    """Theme -> its evidence rows by rank, themes in :func:`order_themes` order."""
    ev = evidence.sort_values(["theme", "rank", "mirna"], kind="mergesort")
    themes = order_themes(sorted(set(ev["theme"]) - {""}), config)
    return {t: ev[ev["theme"] == t].reset_index(drop=True) for t in themes}


def rank_rule() -> str:
    """The evidence table's rank rule in one line (its full wording: config/README.md)."""
    return (
        f"tier ({', '.join(TIERS)}), then more theme-context documents, more validated theme "
        "targets, lower themed FDR (the rule of evidence.tsv, explained in config/README.md)"
    )


class ReportBuilder:
    """Turns loaded summaries into the first-screen context and the on-demand payload."""

    def __init__(
        self,
        res: Results,
        top: int = 10,
        alpha: float = 0.05,
        n_figure: int = 40,
        summary: dict | None = None,
    ):
        """``summary``: :mod:`targets`' part of the payload (else made from ``res``)."""
        self.res, self.top, self.alpha, self.n_figure = res, top, alpha, n_figure
        self.ev = evidence_by_theme(res.evidence, res.config)
        self.themes = list(self.ev)
        self.docs = data.DocIndex(res.documents)
        self.names = set(res.mirnas["name"]) | {n for ev in self.ev.values() for n in ev["mirna"]}
        if summary is None:
            ordered = data.target_order(res.consensus)
            summary = targets.summarise(ordered, res.enrichment, self.names, alpha)
        self.summary = summary
        self.quotes = res.quotes
        if self.quotes is None:  # from the mentions: keep the documents quoted for a theme
            self.quotes = quotes.summarise(res.mentions, self.theme_docs())

    # ---- first screen ----------------------------------------------------------------
    def theme_panel(self, theme: str) -> dict:
        ev = self.ev[theme]
        sig = ev[ev["themed_fdr"] <= self.alpha]
        ctx = ev[ev["n_theme_documents"] > 0]
        sl = self.res.set_level
        mine = sl["theme"].map(lambda t: theme in split_list(t)).astype(bool)
        sl = sl.loc[mine].sort_values(["fdr", "pvalue", "gene_set"], kind="mergesort")
        return {
            "theme": theme,
            "anchor": slug("theme", theme),
            "n": len(ev),
            "n_sig": len(sig),
            "sig": [n.removeprefix("hsa-") for n in sig["mirna"][:5]],
            "n_context": len(ctx),
            "n_context_docs": int(ev["n_theme_documents"].sum()),
            "n_validated": int((ev["n_validated_theme_targets"] > 0).sum()),
            "rows": [self.ev_row(r) for r in ev.head(self.top).to_dict("records")],
            "set_level": [
                {
                    **r,
                    "p": fmt_p(r["pvalue"]),
                    "q": fmt_p(r["fdr"]),
                    "significant": r["fdr"] <= self.alpha,
                }
                for r in sl.to_dict("records")
            ],
        }

    def ev_row(self, r: dict) -> dict:
        val = [g for g in split_list(r["validated_theme_targets"]) if g]
        claimed = [g for g in split_list(r.get("claimed_theme_genes", "")) if g]
        return {
            **r,
            "anchor": slug("ev", r["theme"], r["mirna"]),
            "validated": val[:6],
            "n_val": len(val),
            "claimed": claimed[:6],
            "n_claimed": len(claimed),
            "p": fmt_p(r["pvalue"]),
            "q": fmt_p(r["themed_fdr"]),
            "significant": r["themed_fdr"] <= self.alpha,
        }

    # ---- on-demand payload -----------------------------------------------------------
    def theme_docs(self) -> dict[str, list[str]]:
        """Per precursor: theme-context documents of its arms, capped per theme, best first."""
        out: dict[str, list[str]] = {}
        for ev in self.ev.values():
            for name, docs in zip(ev["mirna"], ev["theme_documents"], strict=True):
                ids = [d for d in split_list(docs) if d][: data.MAX_THEME_DOCS]
                out.setdefault(precursor(name), []).extend(ids)
        return out

    def evidence_payload(self) -> dict[str, list]:
        cols = [c for c in EVIDENCE_COLS if c not in ("theme", "mirbase_id")]
        out = {}
        for theme, ev in self.ev.items():
            rows = []
            for r in _tuples(ev[cols]):
                docs = [self.docs(d) for d in split_list(r.theme_documents) if d]
                rows.append(
                    [_num(r.rank), r.mirna, _num(r.n_documents), _num(r.n_theme_documents), docs]
                    + [split_list(r.validated_theme_targets), _num(r.n_validated_theme_targets)]
                    + [_num(r.n_predicted_theme_targets), r.best_library, r.best_gene_set]
                    + [_num(r.overlap), data.sig3(r.pvalue), data.sig3(r.themed_fdr)]
                    + [data.sig3(r.set_level_pvalue), split_list(r.claimed_theme_genes)]
                    + [r.tier]
                )
            out[theme] = rows
        return out

    def payload(self) -> dict:
        res = self.res
        m = res.mirnas
        tops = {k: v for k, v in self.summary["t"].items() if k in self.names}
        sentences = data.sentences_payload(self.quotes.groups, self.theme_docs(), self.docs)
        mirnas = {
            r.name: [precursor(r.name), r.mirbase_id, _num(r.n_documents), _num(r.n_mentions)]
            + [r.family, r.sequence, r.seed]
            for r in _tuples(m)
        }
        sl = res.set_level.sort_values(["fdr", "pvalue", "gene_set"], kind="mergesort")
        return {
            "themes": self.themes,
            "alpha": self.alpha,
            "ev": self.evidence_payload(),
            "m": mirnas,
            "g": sentences,
            "t": tops,
            "st": self.summary["st"],
            "tt": self.summary["tt"],
            "sl": [
                [r.library, r.gene_set, r.theme, r.hypothesis, r.n_mirnas, r.n_background]
                + [data.sig3(r.pvalue), data.sig3(r.fdr), r.test]
                for r in _tuples(sl)
            ],
            "docs": self.docs.rows,
        }

    # ---- the rest of the page --------------------------------------------------------
    def documents_summary(self) -> dict:
        docs = self.res.documents
        ok = data.read_ok(docs)
        named = self.quotes.named
        skipped = docs[~ok]
        reasons = Counter(s.split(":", 1)[-1].strip() or s for s in skipped["status"])
        return {
            "n": len(docs),
            "n_ok": int(ok.sum()),
            "n_skipped": int((~ok).sum()),
            "n_named": len(named.intersection(docs.loc[ok, "doc_id"].tolist())),
            "reasons": reasons.most_common(10),
            "skipped": skipped.head(50).to_dict("records"),
        }

    def figure_rest(self) -> dict:
        """What the heat map leaves out, in two numbers."""
        shown = set(svg.top_mirnas(self.ev, self.n_figure))
        rest = pd.concat(list(self.ev.values())) if self.ev else self.res.evidence
        rest = rest[~rest["mirna"].isin(shown)]
        return {
            "n": rest["mirna"].nunique(),
            "n_sig": rest.loc[rest["themed_fdr"] <= self.alpha, "mirna"].nunique(),
            "n_context": rest.loc[rest["n_theme_documents"] > 0, "mirna"].nunique(),
        }

    def context(self) -> dict:
        res = self.res
        panels = [self.theme_panel(t) for t in self.themes]
        status = self.quotes.status
        return {
            "version": __version__,
            "alpha": self.alpha,
            "top": self.top,
            "themes": self.themes,
            "rank_rule": rank_rule(),
            "notes": res.notes,
            "panels": panels,
            "n_mirnas": len(res.mirnas),
            "n_groups": len({precursor(n) for n in res.mirnas["name"]}),
            "n_mentions": sum(status.values()),
            "mention_status": sorted(status.items()),
            "documents": self.documents_summary(),
            "heatmap": Markup(svg.heatmap(self.ev, self.themes, self.alpha, self.n_figure)),
            "network": Markup(svg.network(self.ev, self.themes, self.alpha)),
            "figure_rest": self.figure_rest(),
            "unresolved": res.unresolved.sort_values(
                ["n_mentions", "text"], ascending=[False, True], kind="mergesort"
            )
            .head(30)
            .to_dict("records"),
            "n_unresolved": len(res.unresolved),
            "files": res.files,
            "provenance": provenance_section(res),
        }


def _tuples(df: pd.DataFrame) -> Iterator[Any]:
    """``df.itertuples(index=False)``, from whole columns: Arrow-backed text columns read
    cell by cell cost more than the rest of the payload."""
    row = namedtuple("row", df.columns, rename=True)  # noqa: PYI024 - a throwaway row type
    return map(row._make, zip(*(df[c].tolist() for c in df.columns), strict=True))


def _num(v: Any) -> int | float | None:
    if v is None or v != v or v == "":
        return None
    f = float(v)
    return int(f) if f.is_integer() else f


def provenance_section(res: Results) -> dict:
    prov = res.provenance or {}
    config = res.config if res.config is not None else prov.get("config")
    return {
        "present": bool(prov),
        "sources": prov.get("sources", []),
        "software": sorted((prov.get("software") or {}).items()),
        "documents": prov.get("documents") or {},
        "config": flatten(config) if config else [],
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


def environment(cache_dir: Path | None = None) -> Environment:
    """``cache_dir``: keep the compiled template there (Jinja checks it against the source);
    compiling it costs more than rendering it."""
    cache = None
    if cache_dir is not None:
        Path(cache_dir).mkdir(parents=True, exist_ok=True)
        cache = FileSystemBytecodeCache(str(cache_dir))
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        bytecode_cache=cache,
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
    plots_dir: Path | None = None,
    provenance: Path | None = None,
    config: Path | None = None,
    top: int = 10,
    alpha: float = 0.05,
    mentions: list[Path] | None = None,
    targets_summary: Path | None = None,
    quote_files: list[Path] | None = None,
    cache_dir: Path | None = None,
) -> dict:
    """``quote_files``: per-shard summaries (`extract-shard --quotes-out`), read instead of
    any mentions."""
    parts = PARTS if targets_summary is None else PARTS - SUMMARISED
    if quote_files is not None:
        parts = parts - {"mentions"}
    res = load_results(results_dir, provenance, config, mentions, parts)
    if quote_files is not None:
        res.quotes = quotes.read_quotes(quote_files)
    summary = None
    if targets_summary is not None:
        summary = targets.read_summary(targets_summary, alpha)
        res.notes.extend(summary["notes"])  # what the summary's job lacked
    builder = ReportBuilder(res, top=top, alpha=alpha, summary=summary)
    ctx = builder.context()
    ctx["data"] = data.pack(builder.payload())
    html = environment(cache_dir).get_template("report.html.j2").render(**ctx)
    with atomic_open(out) as fh:
        fh.write(html)
    if plots_dir is not None:  # a rule output: exists even when there is nothing to plot
        Path(plots_dir).mkdir(parents=True, exist_ok=True)
        for name in ("heatmap", "network"):
            with atomic_open(Path(plots_dir) / f"{name}.svg") as fh:
                fh.write(svg.standalone(ctx[name]))
    return ctx


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_input_arguments(parser)
    parser.add_argument("--out", type=Path, default=Path("results/report/index.html"))
    parser.add_argument("--plots-dir", type=Path, help="write the figures as SVG here")
    parser.add_argument(
        "--mentions",
        type=Path,
        nargs="+",
        help="per-shard mention Parquet files (default: <results-dir>/mentions.tsv)",
    )
    parser.add_argument(
        "--quotes",
        type=Path,
        nargs="+",
        help="per-shard quote summaries (`extract-shard --quotes-out`), instead of mentions",
    )
    parser.add_argument(
        "--targets-summary",
        type=Path,
        help="targets and gene-set statistics from `report-targets` (default: computed here)",
    )
    parser.add_argument("--cache-dir", type=Path, help="folder for the compiled page template")


def run(args: argparse.Namespace) -> int:
    build_report(
        args.results_dir,
        args.out,
        args.plots_dir,
        args.provenance,
        args.config,
        args.top,
        args.alpha,
        args.mentions,
        args.targets_summary,
        args.quotes,
        args.cache_dir,
    )
    return 0
