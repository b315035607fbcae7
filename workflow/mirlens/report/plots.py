"""Report figures with matplotlib (Agg), written as deterministic SVG and PNG.

Each plotting function takes plain data prepared by ``build.py`` and returns a Figure (or
None when there is nothing to draw). ``save`` writes both formats with fixed metadata and a
fixed SVG hash salt, so reruns give identical files, and returns the SVG text for inlining.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.colors import Normalize  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402

from mirlens.io import atomic_open  # noqa: E402

RC = {
    "svg.hashsalt": "mirlens",
    "svg.fonttype": "path",  # glyphs as paths: no font is needed to view the figure
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "figure.dpi": 100,
}
CMAP = "viridis_r"
THEME_COLOURS = ["#c0392b", "#2471a3", "#1e8449", "#7d3c98", "#b9770e", "#566573"]
MISSING = "#eeeeee"


def theme_colour(theme: str, themes: Sequence[str]) -> str:
    if theme in themes:
        return THEME_COLOURS[list(themes).index(theme) % len(THEME_COLOURS)]
    return THEME_COLOURS[-1]


def neglog10(value: float, floor: float = 1e-300) -> float:
    return -math.log10(max(value, floor))


def save(fig: Figure, plots_dir: Path | None, name: str) -> str:
    """Write ``name``.svg/.png (when ``plots_dir`` is given); return the SVG markup."""
    with plt.rc_context(RC):
        buf = io.StringIO()
        fig.savefig(buf, format="svg", metadata={"Date": None}, bbox_inches="tight")
        svg = buf.getvalue()
        if plots_dir is not None:
            with atomic_open(Path(plots_dir) / f"{name}.svg") as fh:
                fh.write(svg)
            with atomic_open(Path(plots_dir) / f"{name}.png", "wb") as fh:
                fig.savefig(
                    fh, format="png", dpi=150, metadata={"Software": None}, bbox_inches="tight"
                )
    plt.close(fig)
    return svg


def inline_svg(svg: str, prefix: str) -> str:
    """SVG markup ready to sit inside HTML: no XML prolog, ids made unique per figure."""
    svg = svg[svg.index("<svg") :]
    ids = set(re.findall(r'\bid="([^"]+)"', svg))
    if ids:
        pattern = "|".join(re.escape(i) for i in sorted(ids, key=len, reverse=True))
        svg = re.sub(rf'\bid="({pattern})"', rf'id="{prefix}-\1"', svg)
        svg = re.sub(rf'href="#({pattern})"', rf'href="#{prefix}-\1"', svg)
        svg = re.sub(rf"url\(#({pattern})\)", rf"url(#{prefix}-\1)", svg)
    # Natural size from width/height; CSS shrinks wide figures (the viewBox keeps the ratio).
    return svg.replace(
        "<svg", f'<svg role="img" aria-label="{prefix}" class="fig" data-fig="{prefix}"', 1
    )


def heatmap(
    rows: Sequence[str],
    themes: Sequence[str],
    values: dict[tuple[str, str], float],
    links: dict[tuple[str, str], str],
    alpha: float,
    stat_label: str,
) -> Figure | None:
    """miRNA x theme heat map of -log10(best FDR); each cell links to its table row."""
    if not rows or not themes:
        return None
    with plt.rc_context(RC):
        width = 2.2 + 1.3 * len(themes)
        height = 1.2 + 0.28 * len(rows)
        fig, ax = plt.subplots(figsize=(width, height))
        finite = [neglog10(v) for v in values.values() if v == v]
        vmax = max([neglog10(alpha) * 2, *finite]) if finite else 1.0
        norm = Normalize(vmin=0, vmax=vmax)
        cmap = matplotlib.colormaps["viridis"]
        for i, row in enumerate(rows):
            for j, theme in enumerate(themes):
                value = values.get((row, theme))
                if value is None or value != value:
                    colour, label, txt = MISSING, "", "black"
                else:
                    score = neglog10(value)
                    colour = cmap(norm(score))
                    label = f"{value:.1e}" + ("*" if value <= alpha else "")
                    txt = "white" if norm(score) < 0.6 else "black"
                rect = Rectangle((j, i), 1, 1, facecolor=colour, edgecolor="white", lw=1)
                if (row, theme) in links:
                    rect.set_url(links[(row, theme)])
                ax.add_patch(rect)
                if label:
                    ax.text(
                        j + 0.5, i + 0.5, label, ha="center", va="center", fontsize=7, color=txt
                    )
        ax.set_xlim(0, len(themes))
        ax.set_ylim(len(rows), 0)
        ax.set_xticks([j + 0.5 for j in range(len(themes))], themes)
        ax.set_yticks([i + 0.5 for i in range(len(rows))], rows)
        ax.xaxis.tick_top()
        ax.tick_params(length=0)
        for spine in ax.spines.values():
            spine.set_visible(False)
        sm = plt.cm.ScalarMappable(norm=norm, cmap=cmap)
        cb = fig.colorbar(sm, ax=ax, fraction=0.08, pad=0.04)
        cb.set_label("-log10 best FDR")
        ax.set_title(
            f"* {stat_label} <= {alpha:g}; grey: no gene set of the theme tested",
            fontsize=7,
            loc="left",
            y=-0.06 - 0.3 / max(len(rows), 1),
            va="top",
        )
    return fig


def dotplot(
    points: Sequence[dict],
    scopes: Sequence[str],
    gene_sets: Sequence[str],
    alpha: float,
    stat_label: str,
) -> Figure | None:
    """Theme gene sets x miRNAs: dot size = overlap, colour = -log10 FDR, ring = significant."""
    if not points or not scopes or not gene_sets:
        return None
    with plt.rc_context(RC):
        width = 3.5 + 0.45 * len(scopes)
        height = 1.5 + 0.26 * len(gene_sets)
        fig, ax = plt.subplots(figsize=(width, height))
        xs = [scopes.index(p["scope"]) for p in points]
        ys = [gene_sets.index(p["gene_set"]) for p in points]
        scores = [neglog10(p["stat"]) for p in points]
        max_overlap = max(p["overlap"] for p in points) or 1
        sizes = [20 + 180 * p["overlap"] / max_overlap for p in points]
        edges = ["black" if p["stat"] <= alpha else "none" for p in points]
        sc = ax.scatter(
            xs, ys, s=sizes, c=scores, cmap="viridis", edgecolors=edges, linewidths=1.0, vmin=0
        )
        ax.set_xticks(range(len(scopes)), scopes, rotation=45, ha="right")
        ax.set_yticks(range(len(gene_sets)), [_short(g) for g in gene_sets])
        ax.set_xlim(-0.7, len(scopes) - 0.3)
        ax.set_ylim(len(gene_sets) - 0.5, -0.5)
        ax.grid(True, color="#dddddd", lw=0.5)
        ax.set_axisbelow(True)
        cb = fig.colorbar(sc, ax=ax, fraction=0.05, pad=0.02)
        cb.set_label(f"-log10 {stat_label}")
        for overlap in sorted({1, max(1, max_overlap // 2), max_overlap}):
            ax.scatter(
                [],
                [],
                s=20 + 180 * overlap / max_overlap,
                c="grey",
                label=f"{overlap} gene{'s' if overlap != 1 else ''}",
            )
        ax.legend(
            title="overlap",
            loc="upper left",
            bbox_to_anchor=(1.25, 1),
            frameon=False,
            labelspacing=1.2,
        )
    return fig


def _short(name: str, width: int = 48) -> str:
    return name if len(name) <= width else name[: width - 1] + "…"


def network(
    edges: Sequence[tuple[str, str, str]],
    set_theme: dict[str, str],
    themes: Sequence[str],
) -> Figure | None:
    """Three columns miRNA -> target gene -> gene set for the top findings.

    ``edges`` are (mirna, gene, gene_set) triples. Genes are ordered by the mean position
    of their neighbours, which keeps crossings down without a layout library.
    """
    if not edges:
        return None
    mirnas = sorted({e[0] for e in edges}, key=lambda m: [e[0] for e in edges].index(m))
    sets = sorted({e[2] for e in edges}, key=lambda s: [e[2] for e in edges].index(s))
    genes = sorted({e[1] for e in edges})

    def spread(items: Sequence[str], n: int) -> dict[str, float]:
        if len(items) == 1:
            return {items[0]: (n - 1) / 2}
        return {x: i * (n - 1) / (len(items) - 1) for i, x in enumerate(items)}

    n = max(len(mirnas), len(genes), len(sets))
    y_m, y_s = spread(mirnas, n), spread(sets, n)
    bary = {
        g: sum(y_m[m] + y_s[s] for m, gg, s in edges if gg == g)
        / (2 * sum(1 for e in edges if e[1] == g))
        for g in genes
    }
    genes = sorted(genes, key=lambda g: (bary[g], g))
    y_g = spread(genes, n)
    with plt.rc_context(RC):
        fig, ax = plt.subplots(figsize=(10, 1.2 + 0.24 * n))
        xm, xg, xs = 0.0, 1.0, 2.0
        drawn_mg, drawn_gs = set(), set()
        for m, g, s in edges:
            colour = theme_colour(set_theme.get(s, ""), themes)
            if (m, g) not in drawn_mg:
                ax.plot([xm, xg], [y_m[m], y_g[g]], color="#999999", lw=0.6, zorder=1)
                drawn_mg.add((m, g))
            if (g, s) not in drawn_gs:
                ax.plot([xg, xs], [y_g[g], y_s[s]], color=colour, lw=0.6, alpha=0.7, zorder=1)
                drawn_gs.add((g, s))
        for m in mirnas:
            ax.scatter([xm], [y_m[m]], s=60, color="#333333", zorder=2)
            ax.text(xm - 0.04, y_m[m], m, ha="right", va="center", fontsize=8)
        for g in genes:
            ax.scatter([xg], [y_g[g]], s=18, color="#777777", zorder=2)
            ax.text(xg + 0.03, y_g[g], g, ha="left", va="bottom", fontsize=6.5)
        for s in sets:
            colour = theme_colour(set_theme.get(s, ""), themes)
            ax.scatter([xs], [y_s[s]], s=60, marker="s", color=colour, zorder=2)
            ax.text(
                xs + 0.04, y_s[s], _short(s, 44), ha="left", va="center", fontsize=7, color=colour
            )
        for x, label in ((xm, "miRNA"), (xg, "target gene (overlap)"), (xs, "gene set")):
            ax.text(x, -1, label, ha="center", va="bottom", fontsize=8, weight="bold")
        for theme in themes:
            ax.plot([], [], color=theme_colour(theme, themes), lw=2, label=theme)
        if themes:
            ax.legend(loc="upper center", bbox_to_anchor=(0.5, 0), ncol=len(themes), frameon=False)
        ax.set_xlim(-0.8, 3.0)
        ax.set_ylim(n - 0.5, -1.5)
        ax.axis("off")
    return fig


def years(counts: Sequence[tuple[str, int, int]]) -> Figure | None:
    """Documents per year: (year, with a resolved miRNA, without)."""
    if not counts:
        return None
    with plt.rc_context(RC):
        fig, ax = plt.subplots(figsize=(max(4.0, 0.35 * len(counts) + 2), 2.6))
        labels = [c[0] for c in counts]
        with_m = [c[1] for c in counts]
        without = [c[2] for c in counts]
        ax.bar(labels, with_m, color="#2471a3", label="names a miRNA")
        ax.bar(labels, without, bottom=with_m, color="#aab7c4", label="names none")
        ax.set_ylabel("documents")
        ax.tick_params(axis="x", rotation=45 if len(labels) > 8 else 0)
        ax.yaxis.get_major_locator().set_params(integer=True)
        ax.legend(frameon=False, fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return fig


def targets_per_source(counts: Sequence[tuple[str, int, int]]) -> Figure | None:
    """Target pairs per source: (source, pairs, miRNAs with targets)."""
    if not any(c[1] for c in counts):
        return None
    with plt.rc_context(RC):
        fig, ax = plt.subplots(figsize=(5, 0.8 + 0.35 * len(counts)))
        labels = [c[0] for c in counts]
        values = [c[1] for c in counts]
        ax.barh(labels, values, color="#566573")
        for i, c in enumerate(counts):
            ax.text(c[1], i, f" {c[1]} pairs, {c[2]} miRNAs", va="center", fontsize=7)
        ax.invert_yaxis()
        ax.set_xlabel("miRNA-target pairs")
        ax.set_xlim(0, max(values + [1]) * 1.5)
    return fig
