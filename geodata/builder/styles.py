"""QGIS styles (QML) for the shipped layers, drawn from the viewer's own palette.

The looks come from ``terrain_viewer.core.render.symbology`` (the fills, strokes and markers the
viewer paints with), so QGIS shows the data close to the viewer: line colours and widths in
points, fills with the viewer's hatches (flooded fields, city, airfield), simple point markers and
labels on ``name_en``. Units are APP-6 symbols in the viewer; QGIS gets a plain marker per side.

``qml(layer, geometry_type)`` is one layer's QML document; ``style_elements`` gives the same
renderer and labelling elements for embedding in a QGIS project (geodata/builder/qgis.py).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from matplotlib.colors import to_rgba

from terrain_viewer.core.render.symbology import INK, PAPER, SERIF, SYMBOLOGIES, Fill, Mark, Stroke

QGIS_VERSION = "3.22.0"
HATCHES = {"++": "cross", "+": "cross", "---": "horizontal", "-": "horizontal", "////": "b_diagonal",
           "/": "b_diagonal", "\\\\": "f_diagonal", "..": "dense6", ".": "dense7", "xx": "diagonal_x"}
MARKERS = {"^": "triangle", "s": "square", "o": "circle", "D": "diamond", "*": "star", "v": "triangle"}
# Which column picks a look, and the look of each value (layers drawn with one look need none).
CATEGORIES: dict[str, tuple[str, dict[str, tuple[str, ...]]]] = {
    "flooded_fields": ("kind", {"paddy": ("paddy",), "marsh": ("marsh",)}),
    "railways": ("kind", {"railway": ("rail", "dash"),
                          "bridge": ("bridge_edge", "bridge_deck", "rail", "dash")}),
    "defense_lines": ("kind", {"first_line": ("first",), "second_line": ("second",),
                               "final_line": ("second",)}),
    "front_lines": ("side", {"jp": ("jp",), "cn": ("cn",)}),
    "units": ("side", {"cn": ("cn",), "jp": ("jp",)}),
}
SINGLE: dict[str, tuple[str, ...]] = {
    "water_areas": ("water",), "rivers": ("river",), "hills": ("hill",), "spot_heights": ("mark",),
    "city": ("area", "wall"), "gates": ("mark",), "stations": ("mark",), "airfield": ("area",),
    "places": ("mark",), "moats": ("moat", "water"), "pillboxes": ("mark",), "events": ("ring", "star"),
}
LABELS = {"spot_heights": "name_en", "city": "name_en", "gates": "name_en", "stations": "name_en",
          "airfield": "name_en", "places": "name_en", "units": "designation", "hills": "name_en"}
UNIT_MARKS = {"cn": Mark("s", "#80e0ff", 9, edge=INK, lw=0.8),  # the APP-6 fills, as plain markers
              "jp": Mark("D", "#ff8080", 9, edge=INK, lw=0.8)}
DOCTYPE = "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"


def rgba(colour, alpha: float = 1.0) -> str:
    """QGIS colour text 'r,g,b,a' (0-255) from a matplotlib colour."""
    if isinstance(colour, str) and colour.lower() == "none":
        return "0,0,0,0"
    r, g, b, a = to_rgba(colour)
    return ",".join(str(round(v * 255)) for v in (r, g, b, a * alpha))


def _dash(linestyle) -> str:
    return "solid" if linestyle in ("solid", "-", None) else "dash"


def _options(parent: ET.Element, values: dict[str, object]) -> None:
    node = ET.SubElement(parent, "Option", type="Map")
    for key, value in values.items():
        ET.SubElement(node, "Option", name=key, type="QString", value=str(value))


def _symbol_layer(symbol: ET.Element, cls: str, values: dict[str, object]) -> None:
    layer = ET.SubElement(symbol, "layer", {"class": cls, "enabled": "1", "locked": "0", "pass": "0"})
    _options(layer, values)


def _fill_layers(symbol: ET.Element, look: Fill) -> None:
    face_none = isinstance(look.face, str) and look.face.lower() == "none"
    _symbol_layer(symbol, "SimpleFill", {
        "color": rgba(look.face, look.alpha), "style": "no" if face_none else "solid",
        "outline_color": rgba(look.edge, look.alpha if face_none else 1.0),
        "outline_style": _dash(look.linestyle), "outline_width": look.lw, "outline_width_unit": "Point"})
    if look.hatch:
        _symbol_layer(symbol, "SimpleFill", {
            "color": rgba(look.hatch_colour or look.edge), "style": HATCHES.get(look.hatch, "dense6"),
            "outline_style": "no", "outline_width": 0, "outline_width_unit": "Point"})


def _line_layer(symbol: ET.Element, look: Stroke) -> None:
    _symbol_layer(symbol, "SimpleLine", {
        "line_color": rgba(look.colour, look.alpha), "line_width": look.lw, "line_width_unit": "Point",
        "line_style": _dash(look.linestyle), "capstyle": "flat" if look.capstyle == "butt" else "round",
        "joinstyle": "round"})


def _marker_layer(symbol: ET.Element, look: Mark) -> None:
    _symbol_layer(symbol, "SimpleMarker", {
        "name": MARKERS.get(look.marker, "circle"), "color": rgba(look.face, look.alpha),
        "outline_color": rgba(look.edge), "outline_width": look.lw, "outline_width_unit": "Point",
        "size": look.size, "size_unit": "Point", "scale_method": "diameter"})


def _symbol(name: str, kind: str, looks: list) -> ET.Element:
    symbol = ET.Element("symbol", {"name": name, "type": kind, "alpha": "1", "clip_to_extent": "1",
                                   "force_rhr": "0"})
    for look in looks:
        if kind == "fill" and isinstance(look, Fill):
            _fill_layers(symbol, look)
        elif kind == "fill" and isinstance(look, Stroke):  # an outline drawn over a fill
            _symbol_layer(symbol, "SimpleLine", {
                "line_color": rgba(look.colour, look.alpha), "line_width": look.lw,
                "line_width_unit": "Point", "line_style": _dash(look.linestyle)})
        elif kind == "line":
            _line_layer(symbol, look)
        else:
            _marker_layer(symbol, look)
    return symbol


def _symbol_kind(geometry_type: str) -> str:
    return "fill" if "Polygon" in geometry_type else "line" if "Line" in geometry_type else "marker"


def _looks(layer: str) -> dict:
    looks = dict(SYMBOLOGIES[layer]({}).looks)
    if layer == "units":
        looks.update(UNIT_MARKS)
    return looks


def renderer(layer: str, geometry_type: str) -> ET.Element:
    """The layer's ``renderer-v2`` element: one symbol, or one per category of its kind/side."""
    kind, looks = _symbol_kind(geometry_type), _looks(layer)
    attrs = {"forceraster": "0", "symbollevels": "0", "enableorderby": "0", "referencescale": "-1"}
    if layer not in CATEGORIES:
        node = ET.Element("renderer-v2", type="singleSymbol", **attrs)
        symbols = ET.SubElement(node, "symbols")
        symbols.append(_symbol("0", kind, [looks[n] for n in SINGLE[layer]]))
        return node
    column, values = CATEGORIES[layer]
    node = ET.Element("renderer-v2", type="categorizedSymbol", attr=column, **attrs)
    cats, symbols = ET.SubElement(node, "categories"), ET.SubElement(node, "symbols")
    for i, (value, names) in enumerate(values.items()):
        ET.SubElement(cats, "category", render="true", symbol=str(i), value=value, label=value)
        symbols.append(_symbol(str(i), kind, [looks[n] for n in names]))
    return node


def labeling(layer: str, geometry_type: str) -> ET.Element | None:
    """Simple labels on the layer's name column (None for unlabelled layers)."""
    field = LABELS.get(layer)
    if field is None:
        return None
    node = ET.Element("labeling", type="simple")
    settings = ET.SubElement(node, "settings", calloutType="simple")
    style = ET.SubElement(settings, "text-style", {
        "fieldName": field, "isExpression": "0", "fontFamily": SERIF, "fontSize": "8",
        "fontSizeUnit": "Point", "textColor": rgba(INK), "textOpacity": "1", "fontWeight": "50",
        "namedStyle": "Regular", "multilineHeight": "1"})
    ET.SubElement(style, "text-buffer", {
        "bufferDraw": "1", "bufferSize": "0.7", "bufferSizeUnits": "MM", "bufferColor": rgba(PAPER),
        "bufferOpacity": "1", "bufferNoFill": "1", "bufferJoinStyle": "128"})
    placement = "1" if "Polygon" in geometry_type else "6"  # over the centroid; around the point
    ET.SubElement(settings, "placement", {"placement": placement, "dist": "1", "distUnits": "MM",
                                          "priority": "5", "placementFlags": "10"})
    ET.SubElement(settings, "rendering", {"obstacle": "1", "scaleVisibility": "0", "displayAll": "0",
                                          "upsidedownLabels": "0", "labelPerPart": "0"})
    return node


def style_elements(layer: str, geometry_type: str) -> list[ET.Element]:
    """The renderer and (when labelled) labelling elements of one layer."""
    out = [renderer(layer, geometry_type)]
    label = labeling(layer, geometry_type)
    if label is not None:
        out.append(label)
    return out


def qml(layer: str, geometry_type: str) -> str:
    """One layer's QML document (what QGIS's 'Save style' writes, reduced to symbology and labels)."""
    root = ET.Element("qgis", version=QGIS_VERSION, styleCategories="Symbology|Labeling",
                      labelsEnabled="1" if layer in LABELS else "0")
    root.extend(style_elements(layer, geometry_type))
    ET.indent(root)
    return DOCTYPE + ET.tostring(root, encoding="unicode")
