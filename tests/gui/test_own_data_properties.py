"""The layer properties dialog: a raster gets only what applies to it; colour keeps the hatch; the
opacity shows its number; the legend follows."""

from __future__ import annotations

import numpy as np
from PyQt6.QtGui import QColor
from PyQt6.QtWidgets import QColorDialog

from terrain_viewer.core.render import annotations
from terrain_viewer.core.render.items import visible_items
from terrain_viewer.gui.qt_layer_properties import QtLayerProperties


def test_a_raster_gets_opacity_only_with_its_number(hengyang):
    name = hengyang.model.dataset.rasters[0].name
    dialog = QtLayerProperties(hengyang.model, name, hengyang)
    for vector_only in ("marker_size", "role", "label_field", "hatch", "offset"):
        assert not hasattr(dialog, vector_only)
    assert not dialog.buttons  # no colours for a raster
    dialog.opacity.setValue(40)
    assert dialog.opacity_label.text() == "40 %" and hengyang.model.state(name).opacity == 0.4


def test_recolouring_keeps_the_hatch_and_the_legend_follows(hengyang, monkeypatch):
    model = hengyang.model
    monkeypatch.setattr(QColorDialog, "getColor", lambda *a, **k: QColor("#cc0000"))
    dialog = QtLayerProperties(model, "flooded_fields", hengyang)
    dialog.buttons["color"].click()
    assert model.state("flooded_fields").style["color"] == "#cc0000"
    entries = dict((label, handle) for handle, label in annotations.legend(visible_items(model)))
    swatch = entries["Flooded paddy fields"]
    assert swatch.get_hatch() == "++"
    assert tuple(round(c, 2) for c in swatch.get_facecolor()[:3]) == (0.8, 0, 0)
    dialog.role.setCurrentIndex(dialog.role.findData("generic"))
    assert model.dataset.layer("flooded_fields").data_role == "generic"
    labels = [label for _, label in annotations.legend(visible_items(model))]
    assert "flooded_fields" in labels and "Flooded paddy fields" not in labels


def test_the_colour_pickers_start_at_the_colour_the_map_draws(qtbot, hengyang, grab_map, monkeypatch):
    """Properties ▸ Fill / colour opened the picker at grey #777777 and the panel's Colour… at
    #333333 for a layer in its default colours. Found by a new-user test."""
    from person import LEFT, NO_MOD

    offered: list[str] = []
    monkeypatch.setattr(QColorDialog, "getColor",
                        lambda start, *a, **k: offered.append(start.name()) or QColor())  # cancelled
    panel = hengyang.layer_panel
    rect = panel.tree.visualItemRect(panel.item("railways"))
    qtbot.mouseClick(panel.tree.viewport(), LEFT, NO_MOD, rect.center())
    qtbot.mouseClick(panel.color_button, LEFT)
    dialog = QtLayerProperties(hengyang.model, "rivers", hengyang)
    qtbot.addWidget(dialog)
    qtbot.mouseClick(dialog.buttons["color"], LEFT)
    assert len(offered) == 2 and "#777777" not in offered and "#333333" not in offered
    rgb = grab_map(hengyang)[..., :3].astype(int)
    for colour in offered:  # each is a colour the map shows (the railway's ink, the river's blue)
        target = np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)])
        assert (np.abs(rgb - target).max(axis=-1) <= 12).sum() > 100, colour
    assert "color" not in hengyang.model.state("rivers").style  # cancelled: nothing set


def test_a_fronts_and_a_lines_pickers_start_at_their_drawn_colours(qtbot, hengyang, monkeypatch):
    """The front (only the Japanese, red, is drawn) offered the Chinese blue; its side button and a
    river's line colour offered grey #777777. Found by a second new-user test."""
    from person import LEFT

    offered: list[str] = []
    monkeypatch.setattr(QColorDialog, "getColor",
                        lambda start, *a, **k: offered.append(start.name()) or QColor())  # cancelled
    front = QtLayerProperties(hengyang.model, "front_lines", hengyang)
    qtbot.addWidget(front)
    qtbot.mouseClick(front.buttons["color"], LEFT)
    side_buttons = [b for k, b in front.buttons.items() if k not in ("color", "edgecolor")]
    for button in side_buttons:
        qtbot.mouseClick(button, LEFT)
    river = QtLayerProperties(hengyang.model, "rivers", hengyang)
    qtbot.addWidget(river)
    qtbot.mouseClick(river.buttons["edgecolor"], LEFT)
    assert offered[0] == "#b3261e" and side_buttons and offered[1] == "#b3261e"  # the red front
    assert offered[-1] == "#5f93b3" and "#777777" not in offered  # the river's blue line


def test_the_dialog_shows_the_colours_drawn_and_offers_what_the_geometry_takes(qtbot, hengyang, grab_map):
    """A point layer offered a hatch, a line layer a marker, and the colour buttons read "default"
    with no colour (a new user): each button shows the colour the map draws, on that colour."""
    from person import image_array

    for name, hatch, marker in (("pillboxes", False, True), ("railways", False, False),
                                ("flooded_fields", True, False)):
        dialog = QtLayerProperties(hengyang.model, name, hengyang)
        qtbot.addWidget(dialog)
        dialog.show()
        assert (dialog.hatch.isEnabled(), dialog.marker.isEnabled(), dialog.marker_size.isEnabled()) == \
            (hatch, marker, marker), name
        button = dialog.buttons["color"]
        drawn = button.text().removeprefix("default (").removesuffix(")")
        assert button.text().startswith("default (#") and QColor(drawn).isValid(), button.text()
        pixels = image_array(button.grab().toImage())[..., :3].reshape(-1, 3)
        colours, counts = np.unique(pixels, axis=0, return_counts=True)
        face = colours[counts.argmax()]  # the button's most common colour: its face
        assert np.abs(face.astype(int) - QColor(drawn).getRgb()[:3]).max() <= 12, (name, face, drawn)
        dialog.close()


def test_a_units_layer_says_the_label_field_its_symbols_are_named_by_and_no_side_colour(qtbot, hengyang):
    """APP-6 units are named by ``designation`` first; the dialog's default said "name_en", and a
    side colour picked for them did nothing, unsaid (a new user's Kursk units)."""
    dialog = QtLayerProperties(hengyang.model, "units", hengyang)
    qtbot.addWidget(dialog)
    assert dialog.label_field.itemText(0) == "(default): designation"
    sides = [dialog.buttons[f"side:{side}"] for side in ("cn", "jp")]
    assert not any(button.isEnabled() for button in sides)
    assert all("affiliation" in button.toolTip() for button in sides)
    plain = QtLayerProperties(hengyang.model, "places", hengyang)  # no symbols: named as ever
    qtbot.addWidget(plain)
    assert plain.label_field.itemText(0) == "(default): name_en"
