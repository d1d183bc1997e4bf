"""``terrain-viewer project-info FILE.tvproj``: a project's files, layers and time.

Reads only the project file (no data is loaded); exit 0 when every data file is there,
1 when some are missing, 3 when the project file itself cannot be read or is not valid.
"""

from __future__ import annotations

import argparse

from terrain_viewer.cli.common import FOUND_ERRORS, OK


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register ``project-info``."""
    p = sub.add_parser("project-info",
                       help="list a .tvproj project's files and layers; exit 1 if files are missing")
    p.add_argument("project", help="the .tvproj project file")
    p.set_defaults(func=cmd_project_info)


def _time_text(t: object) -> str:
    from terrain_viewer.core.temporal.timeline import to_datetime

    if not isinstance(t, (int, float)):
        return "not set"
    try:
        value = to_datetime(float(t))
    except (OverflowError, ValueError):
        return f"{t} (out of range)"
    return value.date().isoformat() if float(t) == int(t) else value.isoformat(timespec="minutes")


def _range_text(session: dict) -> str:
    """The slider's span when the session set one (a time range, or a layer's dates followed)."""
    span = session.get("time_range")
    if span:
        return f" (time range {_time_text(span[0])} to {_time_text(span[1])})"
    return f" (time range of layer {session['follow']})" if session.get("follow") else ""


def cmd_project_info(args: argparse.Namespace) -> int:
    from terrain_viewer.core.project import read_project
    from terrain_viewer.core.project.session import check_map_crs

    project = read_project(args.project)
    check_map_crs(project)  # as render and the window refuse it (exit 3)
    print(f"{project.path} (terrain_viewer project, version {project.version})")
    missing = [e for e in project.files if not e.exists]
    print(f"  files ({len(project.files)}, {len(missing)} missing):")
    for entry in project.files:
        state = "ok     " if entry.exists else "MISSING"
        print(f"    {state} {entry.path}  [{', '.join(entry.layers)}]")
    layers = project.session.get("layers", [])
    print(f"  layers ({len(layers)}, drawn bottom to top):")
    lost = {name for e in missing for name in e.layers}
    named = {name for e in project.files for name in e.layers}
    for state in layers:
        shown = "shown " if state.get("visible", True) else "hidden"
        flag = "  (file missing)" if state["name"] in lost else \
            "  (in no file: not drawn)" if named and state["name"] not in named else ""
        print(f"    {shown} {state['name']}  group {state.get('group', '1944')}, "
              f"opacity {float(state.get('opacity', 1.0)):.2f}{flag}")
    print(f"  time {_time_text(project.session.get('time'))}{_range_text(project.session)}; "
          f"map CRS {project.session.get('map_crs', '?')}")
    if project.export:
        print(f"  export settings: {', '.join(sorted(project.export))}")
    return FOUND_ERRORS if missing else OK
