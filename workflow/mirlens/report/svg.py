"""The report's figures as small hand-written SVG, drawn from the evidence table.

Plain SVG (rectangles, lines, text) is quick to write, byte-identical on rerun, a few
kilobytes at any literature size, and each mark carries ``data-theme``/``data-mirna`` so a
click opens the row behind it. Only the strongest miRNAs are drawn (the rest are summarised
in the caption): a figure of 700 rows is not read by anyone.
"""

from __future__ import annotations

from html import escape

import pandas as pd

from mirlens.io import split_list
from mirlens.report.fmt import fmt_p, neglog10

THEME_COLOURS = ["#c0392b", "#2471a3", "#1e8449", "#7d3c98", "#b9770e", "#566573"]
FONT = 'font-family="DejaVu Sans, Arial, sans-serif"'
# Sequential blues for -log10 FDR, light to dark; grey when the miRNA has no themed row.
BLUES = ["#f7fbff", "#deebf7", "#c6dbef", "#9ecae1", "#6baed6", "#4292c6", "#2171b5", "#084594"]
EMPTY = "#eeeeee"


def theme_colour(i: int) -> str:
    return THEME_COLOURS[i % len(THEME_COLOURS)]


def _shade(fdr: float, alpha: float) -> str:
    if fdr != fdr:
        return EMPTY
    score = min(1.0, neglog10(fdr) / max(1e-9, 4 * neglog10(alpha)))
    return BLUES[min(len(BLUES) - 1, int(score * len(BLUES)))]


def top_mirnas(ev: dict[str, pd.DataFrame], n: int) -> list[str]:
    """The miRNAs with the best rank in any theme, ties by name."""
    best: dict[str, float] = {}
    for df in ev.values():
        for name, rank in zip(df["mirna"], df["rank"], strict=True):
            r = rank if rank == rank else float("inf")
            best[name] = min(best.get(name, float("inf")), r)
    return sorted(best, key=lambda m: (best[m], m))[:n]


def _text(x: float, y: float, s: str, size: int = 11, anchor: str = "start", **kw) -> str:
    extra = "".join(f' {k.replace("_", "-")}="{v}"' for k, v in kw.items())
    return (
        f'<text x="{x:.0f}" y="{y:.0f}" font-size="{size}" text-anchor="{anchor}"{extra}>'
        f"{escape(s)}</text>"
    )


def _cell(r, m: str, t: str, x: float, y: float, size: tuple, alpha: float) -> str:
    """One heat-map cell: shade by themed FDR, label FDR and theme documents, bar if a finding."""
    cw, ch = size
    fdr = float("nan") if r is None else r.themed_fdr
    docs = 0 if r is None or r.n_theme_documents != r.n_theme_documents else r.n_theme_documents
    docs = int(docs)
    label = f"FDR {fmt_p(fdr)}" + (f" · {docs} doc{'s' if docs != 1 else ''}" if docs else "")
    dark = fdr == fdr and neglog10(fdr) > 2.5 * neglog10(alpha)
    tip = f"{m} · {t}: rank {'' if r is None else int(r.rank)}, {label}"
    bar = (
        f'<rect x="{x + 1}" y="{y + 1}" width="4" height="{ch - 2}" fill="#111"/>'
        if fdr == fdr and fdr <= alpha
        else ""
    )
    return (
        f'<g class="cell" data-theme="{escape(t)}" data-mirna="{escape(m)}">'
        f"<title>{escape(tip)}</title>"
        f'<rect x="{x + 1}" y="{y + 1}" width="{cw - 2}" height="{ch - 2}" '
        f'fill="{_shade(fdr, alpha)}"/>'
        + _text(x + cw / 2, y + 13, label, 10, "middle", fill="#fff" if dark else "#222")
        + bar
        + "</g>"
    )


def heatmap(ev: dict[str, pd.DataFrame], themes: list[str], alpha: float, n: int) -> str:
    """miRNA x theme: colour is -log10 themed FDR, text the FDR and theme-context documents."""
    rows = top_mirnas(ev, n)
    if not rows or not themes:
        return ""
    cells = {
        (r.mirna, t): r
        for t, df in ev.items()
        for r in df[df["mirna"].isin(rows)].itertuples(index=False)
    }
    left, cw, ch, top = 150, 150, 18, 34
    width, height = left + cw * len(themes) + 10, top + ch * len(rows) + 8
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" class="fig" role="img" '
        f'aria-label="miRNA by theme evidence heat map" {FONT}>'
    ]
    for j, t in enumerate(themes):
        out.append(_text(left + cw * j + cw / 2, 20, t, 12, "middle", font_weight="bold"))
    for i, m in enumerate(rows):
        y = top + ch * i
        out.append(_text(left - 6, y + 13, m, 11, "end"))
        for j, t in enumerate(themes):
            out.append(_cell(cells.get((m, t)), m, t, left + cw * j, y, (cw, ch), alpha))
    out.append("</svg>")
    return "".join(out)


def network_edges(ev: dict[str, pd.DataFrame], themes: list[str], per_theme: int, genes: int):
    """(mirna, gene, theme index) for the top miRNAs of each theme with validated targets."""
    edges = []
    for i, t in enumerate(themes):
        df = ev.get(t)
        if df is None:
            continue
        df = df[df["n_validated_theme_targets"] > 0].head(per_theme)
        for m, val in zip(df["mirna"], df["validated_theme_targets"], strict=True):
            edges += [(m, g, i) for g in split_list(val)[:genes] if g]
    return edges


def network(ev: dict[str, pd.DataFrame], themes: list[str], alpha: float) -> str:
    """Top miRNAs of each theme -> their strongest validated theme targets."""
    edges = network_edges(ev, themes, per_theme=6, genes=5)
    if not edges:
        return ""
    mirnas = list(dict.fromkeys(e[0] for e in edges))
    y_m = {m: i for i, m in enumerate(mirnas)}
    genes = list(dict.fromkeys(e[1] for e in edges))
    bary = {
        g: sum(y_m[m] for m, gg, _ in edges if gg == g) / sum(1 for e in edges if e[1] == g)
        for g in genes
    }
    genes.sort(key=lambda g: (bary[g], g))
    n = max(len(mirnas), len(genes))
    step = 18
    xm, xg, width, top = 190, 560, 760, 30
    height = top + step * n + 30

    def ypos(i: int, k: int) -> float:
        return top + (i + 0.5) * (step * n / k)

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" class="fig" role="img" '
        f'aria-label="network of top miRNAs and their validated theme targets" {FONT}>',
        _text(xm, 16, "miRNA", 12, "end", font_weight="bold"),
        _text(xg, 16, "validated theme target", 12, "start", font_weight="bold"),
    ]
    gy = {g: ypos(i, len(genes)) for i, g in enumerate(genes)}
    my = {m: ypos(i, len(mirnas)) for i, m in enumerate(mirnas)}
    for m, g, t in edges:
        out.append(
            f'<line x1="{xm + 6}" y1="{my[m]:.1f}" x2="{xg - 6}" y2="{gy[g]:.1f}" '
            f'stroke="{theme_colour(t)}" stroke-width="1.4" stroke-opacity="0.7"/>'
        )
    for m in mirnas:
        out.append(
            f'<g class="node" data-mirna="{escape(m)}">'
            f'<circle cx="{xm}" cy="{my[m]:.1f}" r="5" fill="#333"/>'
            + _text(xm - 10, my[m] + 4, m, 11, "end")
            + "</g>"
        )
    for g in genes:
        out.append(
            f'<circle cx="{xg}" cy="{gy[g]:.1f}" r="4" fill="#777"/>'
            + _text(xg + 9, gy[g] + 4, g, 11)
        )
    for i, t in enumerate(themes):
        x = 20 + 150 * i
        out.append(
            f'<line x1="{x}" y1="{height - 12}" x2="{x + 24}" y2="{height - 12}" '
            f'stroke="{theme_colour(i)}" stroke-width="3"/>' + _text(x + 30, height - 8, t, 11)
        )
    out.append("</svg>")
    return "".join(out)


def standalone(markup: str) -> str:
    """A figure as a file of its own (empty SVG when there was nothing to draw)."""
    body = markup or '<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"></svg>'
    return '<?xml version="1.0" encoding="utf-8"?>\n' + body + "\n"
