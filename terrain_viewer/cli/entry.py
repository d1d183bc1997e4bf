"""The ``terrain-viewer`` command: the parser, each command registered by name, and ``main``."""

from __future__ import annotations

import argparse
import atexit
import os
import sys
from collections.abc import Sequence

from terrain_viewer import __version__
from terrain_viewer.cli import common, data, export, gui, project_info, render, tiles
from terrain_viewer.cli.common import EXIT_CODES_HELP, INTERRUPTED, READER_GONE, UNEXPECTED, exit_code, say
from terrain_viewer.core.common.errors import TerrainViewerError

# every command, registered explicitly: (module registering it, the commands it adds)
COMMANDS = ((gui, ("gui",)), (data, ("info", "validate")), (render, ("render",)),
            (export, ("export",)), (project_info, ("project-info",)), (tiles, ("tiles",)))
COMMAND_NAMES = tuple(name for _module, names in COMMANDS for name in names)

DESCRIPTION = """A desktop GIS viewer of the Battle of Hengyang (1944): the window, or commands for scripts.
With no command it opens the window on the files given (the built-in data when none)."""

EPILOG = f"""examples:
  terrain-viewer                                   the window on the built-in Hengyang 1944 data
  terrain-viewer siege.tvproj                      the window on a saved project
  terrain-viewer a.gpkg b.gpkg                     the window on these files
  terrain-viewer info --json my.gpkg               layers, CRS, counts, time extent as JSON
  terrain-viewer validate my.gpkg                  per-layer problems (exit 1 on errors)
  terrain-viewer render --date 1944-07-11T12:00 --size 720p --out frame.png
  terrain-viewer render siege.tvproj --view 112.55,26.85,112.7,26.95 --view-crs EPSG:4326 --out f.png
  terrain-viewer export --from 1944-06-23 --to 1944-08-08 --size 1080p --out hengyang.mp4
  terrain-viewer project-info siege.tvproj         a project's files and layers (exit 1: files missing)
  terrain-viewer tiles --provider OpenTopoMap --bbox 112.55,26.85,112.68,26.95 --zoom 10-15 --out h.mbtiles
  source <(terrain-viewer --print-completion bash)

{EXIT_CODES_HELP}"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="terrain-viewer", description=DESCRIPTION, epilog=EPILOG,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"terrain-viewer {__version__}")
    parser.add_argument("--print-completion", choices=("bash",),
                        help="print a bash completion script and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND",
                                help=f"one of {', '.join(COMMAND_NAMES)} (default: gui)")
    for module, _names in COMMANDS:
        module.add_commands(sub)
    return parser


def _with_command(argv: list[str]) -> list[str]:
    """``terrain-viewer FILE ...`` (or nothing) means ``terrain-viewer gui FILE ...``."""
    if not argv or (argv[0] not in COMMAND_NAMES and not argv[0].startswith("-")):
        return ["gui", *argv]
    return argv


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (see ``--help``). A usage error argparse finds
    (and ``--help``, ``--version``) exits through SystemExit as argparse does (code 2, or 0)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(_with_command(argv))
    if args.print_completion:
        from terrain_viewer.cli.completion import bash_script

        print(bash_script(parser), end="")
        return 0
    if args.command is None:
        args = parser.parse_args(["gui"])
    if args.command != "gui":
        from terrain_viewer.core.common.logs import setup_logging

        setup_logging()
        common.say_drawing_problems()
    return _run(args)


def console_main() -> None:
    """The console script: ``main()``, then, for every command but the GUI, a quick exit: the output
    flushed and the ``atexit`` handlers run (logging, tile threads, worker pools), but not the
    interpreter's teardown of every object, which took ~0.25 s after an export was written."""
    common.ONE_COMMAND[0] = True
    gui = _with_command(sys.argv[1:])[0] == "gui"
    if not gui:
        one_blas_thread()
    code = main()
    if gui or sys.getprofile() or sys.gettrace():
        sys.exit(code)  # the GUI, or a profiler/debugger/coverage that writes its results at the end
    sys.stdout.flush()
    sys.stderr.flush()
    atexit._run_exitfuncs()  # noqa: SLF001 - what a normal exit runs first
    os._exit(code)


def one_blas_thread() -> None:
    """numpy's OpenBLAS on one thread (unless ``OPENBLAS_NUM_THREADS`` says otherwise), set before
    numpy is first imported: its worker thread busy-waits after the import (~0.1 s of CPU on the
    other core of two, at the start of every command); nothing here multiplies matrices large
    enough to share."""
    if "numpy" not in sys.modules:
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def _run(args: argparse.Namespace) -> int:
    try:
        return int(args.func(args) or 0)
    except TerrainViewerError as exc:
        say(" ".join(exc.message.split()))
        return exit_code(exc)
    except KeyboardInterrupt:
        say("interrupted")
        return INTERRUPTED
    except BrokenPipeError as exc:
        if not _stdout_gone():
            return _unexpected(exc, args)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # the exit's flush has nowhere to go
        return READER_GONE
    except Exception as exc:  # noqa: BLE001 - a bug, not bad input: one line here, the traceback logged
        return _unexpected(exc, args)


def _unexpected(exc: Exception, args: argparse.Namespace) -> int:
    """A bug, not bad input: one line on stderr, the traceback in the log file."""
    from terrain_viewer.core.common.logs import log_dir, log_exception

    log_exception(exc, f"terrain-viewer {args.command}")
    first = (str(exc).strip().splitlines() or [""])[0]
    say(f"unexpected error ({type(exc).__name__}: {first}); details in the log file in {log_dir()}")
    return UNEXPECTED


def _stdout_gone() -> bool:
    """Standard output is a pipe nobody reads any more (``terrain-viewer info x.gpkg | head -1``)."""
    import select

    try:
        poll = select.poll()
        poll.register(sys.stdout.fileno(), select.POLLOUT)
        return any(event & select.POLLERR for _fd, event in poll.poll(0))
    except (AttributeError, OSError, ValueError):  # no poll (Windows), no descriptor
        return False
