"""The identify panel: every attribute of the features under a clicked point, source first."""

from __future__ import annotations

from PyQt6.QtWidgets import QLabel, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from ..core.identify import identify
from ..core.model import ViewerModel

PROMINENT = ("source", "confidence")
TOLERANCE_PX = 8


class QtIdentifyPanel(QWidget):
    """Tree of hits: one branch per feature (layer: title), its attributes as rows."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.heading = QLabel("Choose Tools ▸ Identify and click the map.", objectName="panelHeading")
        self.heading.setWordWrap(True)
        self.tree = QTreeWidget(objectName="identifyTree")
        self.tree.setHeaderLabels(["Attribute", "Value"])
        self.tree.setColumnWidth(0, 110)
        self.tree.setWordWrap(True)
        self.tree.setAlternatingRowColors(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.heading)
        layout.addWidget(self.tree, 1)
        self.hits: list[tuple[str, dict]] = []

    def identify_at(self, model: ViewerModel, x: float, y: float, tolerance: float) -> list[tuple[str, dict]]:
        """Look up the features within ``tolerance`` map units of (x, y) now and list them."""
        self.show_hits(identify(model, model.time.t, x, y, tolerance))
        return self.hits

    def show_hits(self, hits: list[tuple[str, dict]]) -> None:
        self.hits = hits
        self.tree.clear()
        self.heading.setText(f"{len(hits)} feature{'s' if len(hits) != 1 else ''} here"
                             if hits else "Nothing here at this date.")
        for index, (layer, attrs) in enumerate(hits):
            label = attrs.get("title") or attrs.get("name_en") or attrs.get("designation") or ""
            branch = QTreeWidgetItem(self.tree, [layer, str(label)])
            font = branch.font(0)
            font.setBold(True)
            branch.setFont(0, font)
            branch.setFont(1, font)
            for key in [k for k in PROMINENT if k in attrs] + [k for k in attrs if k not in PROMINENT]:
                row = QTreeWidgetItem(branch, [key, "" if attrs[key] is None else str(attrs[key])])
                row.setToolTip(1, row.text(1))
                if key in PROMINENT:
                    bold = row.font(0)
                    bold.setBold(True)
                    row.setFont(0, bold)
                    row.setFont(1, bold)
            branch.setExpanded(index < 3)
