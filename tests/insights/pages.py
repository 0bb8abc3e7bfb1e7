"""Reading what the statistics pages show: their tables, their charts' text alternatives and the
numbers in the charts, as a reader (or a screen reader) gets them."""

import csv
import io
from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Chart:
    title: str = ""
    desc: str = ""
    labelled_by: str = ""
    texts: list[str] = field(default_factory=list)  # the <text> of its bars


class Page(HTMLParser):
    """Tables (rows of cell texts; `cells` also says which were <td>), charts, alerts."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.tables: list[list[list[str]]] = []
        self.data_cells: list[str] = []  # every <td>: the numbers of every table
        self.charts: list[Chart] = []
        self.alerts: list[str] = []
        self._cell: list[str] | None = None
        self._cell_tag = ""
        self._in: str | None = None  # "title", "desc", "text" inside an svg, or "alert"
        self._buffer: list[str] = []
        self._svg = False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self.tables[-1].append([])
        elif tag in ("td", "th") and self.tables:
            self._cell, self._cell_tag = [], tag
        elif tag == "svg":
            self._svg = True
            self.charts.append(Chart(labelled_by=attrs.get("aria-labelledby", "")))
        elif self._svg and tag in ("title", "desc", "text"):
            self._in, self._buffer = tag, []
        elif attrs.get("role") == "alert":
            self._in, self._buffer = "alert", []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            text = " ".join("".join(self._cell).split())
            self.tables[-1][-1].append(text)
            if self._cell_tag == "td":
                self.data_cells.append(text)
            self._cell = None
        elif tag == "svg":
            self._svg = False
        elif self._in in ("title", "desc", "text") and tag == self._in:
            text = " ".join("".join(self._buffer).split())
            chart = self.charts[-1]
            if tag == "text":
                chart.texts.append(text)
            else:
                setattr(chart, tag, text)
            self._in = None
        elif self._in == "alert" and tag == "div":
            self.alerts.append(" ".join("".join(self._buffer).split()))
            self._in = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)
        if self._in is not None:
            self._buffer.append(data)


def csv_rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8"))))
