"""Tables in the page: HTML, never Markdown pipe text (which a built page may show raw).

    from IPython.display import HTML
    HTML(html_table(["model", "NLL"], [["FVSBN", "99.07"]], right={1}))
"""
from __future__ import annotations

import html
from typing import Iterable, Sequence

__all__ = ["html_table"]


def html_table(head: Sequence[str], rows: Iterable[Sequence[object]], right: Iterable[int] = (),
               escape: bool = True, note: str = "") -> str:
    """An HTML table with header ``head`` and ``rows`` (cells converted with ``str``); columns in
    ``right`` are right-aligned (numbers); ``escape=False`` keeps HTML in the cells; ``note`` is a
    small line under the table. The table sits in a box that scrolls sideways when it is wider than
    the page's column, so that no column is cut off under the page's margin."""
    right = set(right)
    text = (lambda v: html.escape(str(v))) if escape else str

    def cell(tag: str, i: int, value: object) -> str:
        return f"<{tag} style='text-align:{'right' if i in right else 'left'}'>{text(value)}</{tag}>"

    th = "".join(cell("th", i, h) for i, h in enumerate(head))
    body = "".join("<tr>" + "".join(cell("td", i, c) for i, c in enumerate(r)) + "</tr>" for r in rows)
    foot = f"<p style='font-size:0.82em'>{html.escape(note)}</p>" if note else ""
    return (f"<div class='arlib-table-box' style='overflow-x:auto'><table class='arlib-table' "
            f"style='font-size:0.82em'><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table></div>{foot}")
