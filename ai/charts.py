"""Server-rendered inline SVG charts (no JavaScript library): the confusion matrix and a latency bar."""

from __future__ import annotations

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

CELL = 18
LABEL_WIDTH = 170


def confusion_svg(labels: list[str], matrix: list[list[int]]) -> SafeString:
    """Rows are the true labels, columns the predictions; each cell is shaded by its share of its row."""
    if not labels or not matrix:
        return mark_safe("")  # a constant
    size = len(labels)
    width = LABEL_WIDTH + size * CELL + 10
    height = LABEL_WIDTH + size * CELL + 10
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="confusion" width="{width}" height="{height}" '
             f'role="img" aria-label="Confusion matrix: rows are true categories, columns predicted">']
    for i, label in enumerate(labels):
        y = LABEL_WIDTH + i * CELL + CELL * 0.7
        parts.append(f'<text x="{LABEL_WIDTH - 4}" y="{y:.0f}" text-anchor="end" font-size="11">'
                     f'{escape(label[:26])}</text>')
        x = LABEL_WIDTH + i * CELL + CELL * 0.7
        parts.append(f'<text transform="translate({x:.0f},{LABEL_WIDTH - 4}) rotate(-60)" font-size="11">'
                     f'{escape(label[:26])}</text>')
    for i, row in enumerate(matrix):
        total = sum(row) or 1
        for j, count in enumerate(row):
            share = count / total
            colour = "22,128,61" if i == j else "185,28,28"
            parts.append(
                f'<rect x="{LABEL_WIDTH + j * CELL}" y="{LABEL_WIDTH + i * CELL}" width="{CELL - 1}" '
                f'height="{CELL - 1}" fill="rgba({colour},{0.08 + 0.92 * share:.2f})">'
                f'<title>true {escape(labels[i])}, predicted {escape(labels[j])}: {count}</title></rect>'
            )
            if count:
                parts.append(f'<text x="{LABEL_WIDTH + j * CELL + CELL / 2:.0f}" '
                             f'y="{LABEL_WIDTH + i * CELL + CELL * 0.7:.0f}" text-anchor="middle" font-size="9" '
                             f'fill="{"#fff" if share > 0.5 else "#111"}">{count}</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # every label is escaped above
