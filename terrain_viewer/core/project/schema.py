"""The one schema of a ``.tvproj`` file: checked here in plain Python, published as JSON Schema.

``PROJECT`` describes every field; ``check_document`` walks a parsed document against it and
returns the first problem as one line naming the field path and what was expected
(``layers[2].opacity: expected a number 0..1, got "0.5"``). ``json_schema()`` gives the same
description as JSON Schema (docs/project.schema.json is its output). A few rules JSON Schema
cannot say are checked only here: ``view``'s max above its min, unique layer names, colours,
integers of at most ``MAX_DIGITS`` digits and finite numbers anywhere in the file.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, fields

from terrain_viewer.core.model import RenderOptions, SwipeState
from terrain_viewer.core.project.format import FORMAT, VERSION

MAX_DIGITS = 300  # a longer integer is no number a project holds (and float() of it overflows)
MARKERS = (".", ",", "o", "v", "^", "<", ">", "1", "2", "3", "4", "8", "s", "p", "*", "h", "H", "+",
           "x", "D", "d", "|", "_", "P", "X", "none")  # matplotlib's named marker styles


class HugeInt(str):
    """An integer literal too long to be a number here (kept as its digits for the message)."""


def parse_int(text: str) -> int | HugeInt:
    """``json.loads(parse_int=...)``: integers longer than ``MAX_DIGITS`` become ``HugeInt``."""
    return HugeInt(text) if len(text.lstrip("-")) > MAX_DIGITS else int(text)


def shown(value: object) -> str:
    """A short rendering of a bad value for a one-line message."""
    if isinstance(value, HugeInt):
        return f"a {len(value.lstrip('-'))}-digit integer"
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    text = json.dumps(value, ensure_ascii=False, allow_nan=True, default=str)
    text = " ".join(text.split())
    return text if len(text) <= 40 else text[:37] + "..."


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, (bool, HugeInt))


# ---- field kinds ---------------------------------------------------------------------------
class Spec:
    """One field kind: ``problem(value, where)`` is None or a one-line message."""

    expected = "a value"

    def problem(self, value: object, where: str) -> str | None:
        raise NotImplementedError

    def schema(self) -> dict:
        raise NotImplementedError

    def fail(self, value: object, where: str) -> str:
        return f"{where}: expected {self.expected}, got {shown(value)}"


@dataclass
class Num(Spec):
    low: float | None = None
    high: float | None = None
    above: bool = False  # low itself excluded

    @property
    def expected(self) -> str:
        if self.low is None and self.high is None:
            return "a number"
        if self.high is None:
            return f"a number {'>' if self.above else '>='} {self.low:g}"
        return f"a number {self.low:g}..{self.high:g}" + (f" above {self.low:g}" if self.above else "")

    def problem(self, value: object, where: str) -> str | None:
        if not _is_number(value) or not math.isfinite(value):
            return self.fail(value, where)
        too_low = self.low is not None and (value <= self.low if self.above else value < self.low)
        if too_low or (self.high is not None and value > self.high):
            return self.fail(value, where)
        return None

    def schema(self) -> dict:
        out: dict = {"type": "number"}
        if self.low is not None:
            out["exclusiveMinimum" if self.above else "minimum"] = self.low
        if self.high is not None:
            out["maximum"] = self.high
        return out


@dataclass
class Int(Spec):
    low: int | None = None
    high: int | None = None

    @property
    def expected(self) -> str:
        if self.high is None:
            return "a whole number" + (f" >= {self.low}" if self.low is not None else "")
        return f"a whole number {self.low}..{self.high}"

    def problem(self, value: object, where: str) -> str | None:
        if not isinstance(value, int) or isinstance(value, bool):  # (a HugeInt is a str)
            return self.fail(value, where)
        if (self.low is not None and value < self.low) or (self.high is not None and value > self.high):
            return self.fail(value, where)
        return None

    def schema(self) -> dict:
        out: dict = {"type": "integer"}
        if self.low is not None:
            out["minimum"] = self.low
        if self.high is not None:
            out["maximum"] = self.high
        return out


@dataclass
class Str(Spec):
    min_length: int = 0
    colour: bool = False  # also a colour matplotlib knows ("#aa0000", "red")

    @property
    def expected(self) -> str:
        return "a colour (#rrggbb or a name)" if self.colour else (
            "a non-empty string" if self.min_length else "a string")

    def problem(self, value: object, where: str) -> str | None:
        if not isinstance(value, str) or len(value) < self.min_length:
            return self.fail(value, where)
        if self.colour:
            from matplotlib.colors import is_color_like

            if not is_color_like(value):
                return self.fail(value, where)
        return None

    def schema(self) -> dict:
        return {"type": "string", "minLength": self.min_length} if self.min_length else {"type": "string"}


class Bool(Spec):
    expected = "true or false"

    def problem(self, value: object, where: str) -> str | None:
        return None if isinstance(value, bool) else self.fail(value, where)

    def schema(self) -> dict:
        return {"type": "boolean"}


@dataclass
class OneOf(Spec):
    values: tuple

    @property
    def expected(self) -> str:
        return "one of " + ", ".join(json.dumps(v) for v in self.values)

    def problem(self, value: object, where: str) -> str | None:
        ok = isinstance(value, str) and value in self.values
        return None if ok else self.fail(value, where)

    def schema(self) -> dict:
        return {"type": "string", "enum": list(self.values)} if len(self.values) > 1 else {
            "type": "string", "const": self.values[0]}


@dataclass
class Arr(Spec):
    items: Spec
    length: int | None = None

    @property
    def expected(self) -> str:
        count = f"{self.length} " if self.length else ""
        return f"a list of {count}items, each {self.items.expected}"

    def problem(self, value: object, where: str) -> str | None:
        if not isinstance(value, list) or (self.length is not None and len(value) != self.length):
            return self.fail(value, where)
        for i, item in enumerate(value):
            if found := self.items.problem(item, f"{where}[{i}]"):
                return found
        return None

    def schema(self) -> dict:
        out = {"type": "array", "items": self.items.schema()}
        if self.length is not None:
            out["minItems"] = out["maxItems"] = self.length
        return out


@dataclass
class Obj(Spec):
    props: dict[str, Spec]
    required: tuple[str, ...] = ()
    closed: bool = False  # unknown keys refused (else ignored: a later version's fields)
    nullable: bool = False
    expected: str = "an object"

    def problem(self, value: object, where: str) -> str | None:
        if value is None and self.nullable:
            return None
        if not isinstance(value, dict):
            return self.fail(value, where)
        prefix = f"{where}." if where else ""
        for key in self.required:
            if key not in value:
                return f"{prefix}{key}: missing (expected {self.props[key].expected})"
        if self.closed and (unknown := sorted(set(value) - set(self.props))):
            return (f"{where or 'the file'}: unknown key {shown(unknown[0])} "
                    f"(expected one of {', '.join(self.props)})")
        for key, spec in self.props.items():
            if key in value and (found := spec.problem(value[key], f"{prefix}{key}")):
                return found
        return None

    def schema(self) -> dict:
        out: dict = {"type": ["object", "null"] if self.nullable else "object",
                     "properties": {k: s.schema() for k, s in self.props.items()}}
        if self.required:
            out["required"] = list(self.required)
        out["additionalProperties"] = not self.closed
        return out


@dataclass
class View(Arr):
    """``[xmin, ymin, xmax, ymax]`` with each max above its min."""

    items: Spec = field(default_factory=Num)
    length: int | None = 4
    expected = "[xmin, ymin, xmax, ymax] with xmax > xmin and ymax > ymin"

    def problem(self, value: object, where: str) -> str | None:
        if found := super().problem(value, where):
            return found
        return None if value[2] > value[0] and value[3] > value[1] else self.fail(value, where)


@dataclass
class Span(Arr):
    """``[first day, last day]`` (days since 1970-01-01), the first not after the last."""

    items: Spec = field(default_factory=Num)
    length: int | None = 2
    expected = "[first day, last day] in days since 1970-01-01, the first not after the last"

    def problem(self, value: object, where: str) -> str | None:
        if found := super().problem(value, where):
            return found
        return None if value[0] <= value[1] else self.fail(value, where)


def _from_dataclass(cls: type, ranges: dict[str, Spec]) -> Obj:
    """An open object of a dataclass's fields, typed by their defaults (``ranges`` override)."""
    kinds = {bool: Bool, str: Str, float: Num, int: Int}
    props = {f.name: ranges.get(f.name) or kinds[type(f.default)]() for f in fields(cls)}
    return Obj(props)


NUMBER = Num(0, 1000, above=True)
STYLE = Obj({"color": Str(colour=True), "edgecolor": Str(colour=True), "contour_color": Str(colour=True),
             "linewidth": NUMBER, "marker_size": NUMBER, "alpha": Num(0, 1), "contour_step": NUMBER,
             "index_step": NUMBER, "marker": OneOf(MARKERS), "contours": Bool(), "declutter": Bool(),
             "label_size": Num(1, 200),  # points; FreeType fails on a size of 99999 (the map was blank)
             "time_offset": Num(-36500, 36500)})  # days, as the Properties dialog allows
LAYER = Obj({"name": Str(min_length=1), "visible": Bool(), "opacity": Num(0, 1), "group": Str(),
             "style": STYLE}, required=("name",), closed=True)
FILE = Obj({"path": Str(min_length=1), "absolute": Str(), "layers": Arr(Str())}, required=("path",),
           closed=True)
BASEMAP = Obj({"provider": Str(min_length=1), "url": Str(min_length=1), "name": Str(),
               "attribution": Str(), "max_zoom": Int(0, 30), "mbtiles": Str(min_length=1),
               "gpkg": Str(min_length=1), "table": Str(), "opacity": Num(0, 1), "group": Str()},
              nullable=True, expected="an object or null")
PROJECT = Obj({
    "format": OneOf((FORMAT,)),
    "version": Int(1, VERSION),
    "files": Arr(FILE),
    "map_crs": Str(min_length=1),
    "layers": Arr(LAYER),
    "time": Num(),
    "time_range": Span(),
    "follow": Str(min_length=1),
    "view": View(),
    "options": _from_dataclass(RenderOptions, {}),
    "swipe": _from_dataclass(SwipeState, {"position": Num(0, 1)}),
    "basemap": BASEMAP,
    "export": Obj({}, nullable=True, expected="an object or null"),
}, required=("format", "version"))


# ---- whole-document checks -----------------------------------------------------------------
def _numbers_problem(value: object, where: str) -> str | None:
    """Integers too long or numbers not finite, anywhere (``export`` included)."""
    if isinstance(value, HugeInt) or (isinstance(value, float) and not math.isfinite(value)):
        what = "a number of at most 300 digits" if isinstance(value, HugeInt) else "a finite number"
        return f"{where or 'the file'}: expected {what}, got {shown(value)}"
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        sub = f"{where}[{key}]" if isinstance(key, int) else f"{where}.{key}" if where else str(key)
        if found := _numbers_problem(item, sub):
            return found
    return None


def check_document(data: object) -> str | None:
    """The first problem of a parsed project document (field path and expectation), or None."""
    if found := _numbers_problem(data, ""):
        return found
    if found := PROJECT.problem(data, ""):
        return found
    names = [state["name"] for state in data.get("layers", [])]
    twice = sorted({n for n in names if names.count(n) > 1})
    return f"layers: {shown(twice[0])} is listed twice (expected unique names)" if twice else None


def json_schema() -> dict:
    """The project format as JSON Schema (draft 2020-12); docs/project.schema.json holds it."""
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": "terrain_viewer project (.tvproj)",
            "description": "Checked by terrain_viewer.core.project.schema; also checked there only: "
                           "view max above min, time_range first not after last, unique layer names, "
                           f"colours, integers of at most {MAX_DIGITS} digits, finite numbers.",
            **PROJECT.schema()}
