"""Inline SVG charts drawn on the server (no script, no CDN): a line chart and horizontal (stacked) bars."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

COLOURS = ("#2b6cb0", "#c05621", "#c53030", "#2f855a", "#6b46c1")


def line_chart(title: str, labels: Sequence[str], series: dict[str, Sequence[float | None]],
               width: int = 560, height: int = 220) -> Markup:
    """Each series a line over the labels (values 0-1, drawn as percent); a gap where a value is None."""
    left, right, top, bottom = 40, 10, 10, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    step = plot_w / max(len(labels) - 1, 1)
    peak = max([v for values in series.values() for v in values if v is not None] + [0.1])
    parts = [f'<svg class="chart" role="img" aria-label="{escape(title)}" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}">',
             f'<line class="axis" x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" '
             'stroke="#999"></line>',
             f'<text x="0" y="{top + 10}">{peak * 100:.0f}%</text><text x="0" y="{top + plot_h}">0%</text>']
    for index, (name, values) in enumerate(series.items()):
        colour = COLOURS[index % len(COLOURS)]
        points = [(left + i * step, top + plot_h - (value / peak) * plot_h)
                  for i, value in enumerate(values) if value is not None]
        if points:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
            parts.append(f'<polyline data-series="{escape(name)}" fill="none" stroke="{colour}" stroke-width="2" '
                         f'points="{path}"></polyline>')
        parts.append(f'<text x="{left + 150 * index}" y="{height - 4}" fill="{colour}">{escape(name)}</text>')
    for i, label in enumerate(labels):
        if len(labels) <= 8 or i % max(len(labels) // 6, 1) == 0:
            parts.append(f'<text x="{left + i * step:.1f}" y="{top + plot_h + 16}" font-size="10">'
                         f'{escape(label)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def stacked_bars(title: str, rows: Sequence[tuple[str, dict[str, float]]], parts_order: Sequence[str],
                 width: int = 560) -> Markup:
    """One horizontal bar per row, split into its parts (counts), scaled to the largest row."""
    label_w, bar_h, gap = 150, 20, 8
    height = max(len(rows), 1) * (bar_h + gap) + 30
    scale_w = width - label_w - 60
    peak = max([sum(values.values()) for _name, values in rows] + [1])
    parts = [f'<svg class="chart" role="img" aria-label="{escape(title)}" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}">']
    for index, (name, values) in enumerate(rows):
        y = index * (bar_h + gap)
        parts.append(f'<text x="0" y="{y + 15}">{escape(name)}</text>')
        x = float(label_w)
        for part_index, part in enumerate(parts_order):
            size = values.get(part, 0) / peak * scale_w
            if size > 0:
                parts.append(f'<rect data-part="{escape(part)}" x="{x:.1f}" y="{y}" width="{size:.1f}" '
                             f'height="{bar_h}" fill="{COLOURS[part_index % len(COLOURS)]}">'
                             f'<title>{escape(part)}: {values.get(part, 0):g}</title></rect>')
                x += size
        parts.append(f'<text x="{x + 6:.1f}" y="{y + 15}">{sum(values.values()):g}</text>')
    legend_y = height - 8
    for part_index, part in enumerate(parts_order):
        parts.append(f'<text x="{label_w + 120 * part_index}" y="{legend_y}" '
                     f'fill="{COLOURS[part_index % len(COLOURS)]}">{escape(part)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
