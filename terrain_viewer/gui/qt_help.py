"""The Help menu: keyboard shortcuts (read from the window's actions) and About."""

from __future__ import annotations

import html

from PyQt6.QtGui import QAction, QKeySequence
from PyQt6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout, QWidget

from terrain_viewer.core.model import ViewerModel

MAP_KEYS_NOTE = ("Space, ←/→, Home and End act when the map or the date bar has the focus; in the layer "
                 "list and in text fields they keep their usual meaning.")


def shortcut_rows(actions: list[QAction]) -> list[tuple[str, str]]:
    """(keys, what it does) for each action with a shortcut, without duplicates."""
    rows: dict[str, str] = {}
    for action in actions:
        keys = ", ".join(s.toString(QKeySequence.SequenceFormat.NativeText) for s in action.shortcuts())
        if keys:
            rows.setdefault(keys, action.text().replace("&", "").rstrip("…"))
    return list(rows.items())


class QtShortcutsDialog(QDialog):
    def __init__(self, actions: list[QAction], parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        self.rows = shortcut_rows(actions)
        body = "".join(f"<tr><td><b>{html.escape(k)}</b></td><td>{html.escape(t)}</td></tr>"
                       for k, t in self.rows)
        self.text = QTextBrowser(objectName="shortcutsText")
        self.text.setHtml(f"<table cellpadding='4'>{body}</table><p><i>{html.escape(MAP_KEYS_NOTE)}</i></p>")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addWidget(buttons)
        self.resize(460, 520)


def about_text(model: ViewerModel) -> str:
    """HTML for Help ▸ About: what the program is and where the loaded data comes from."""
    sources: dict[str, None] = {}
    for layer in model.dataset.layers:
        if "source" in layer.gdf.columns:
            for value in layer.gdf["source"].dropna().astype(str).unique():
                sources.setdefault(value.split(",")[0].strip(), None)
    items = "".join(f"<li>{html.escape(s)}</li>" for s in list(sources)[:25])
    more = f"<p>… and {len(sources) - 25} more.</p>" if len(sources) > 25 else ""
    return ("<h3>terrain_viewer</h3><p>A desktop viewer for battle terrain through time. Built-in subject: "
            "the Battle of Hengyang, 23 June – 8 August 1944.</p>"
            "<p>The elevation grid is <b>reconstructed</b> from spot heights and hill outlines, not "
            "surveyed. Every feature carries its <i>source</i> and <i>confidence</i> (use Identify).</p>"
            f"<p><b>Data sources</b></p><ul>{items}</ul>{more}")
