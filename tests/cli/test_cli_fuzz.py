"""Property: any arguments to ``render``, ``info`` and ``project-info`` end in exit 0, 2 or 3 with
at most a few lines on stderr and never a traceback (in-process ``main``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from terrain_viewer.cli import main as cli_main


def main(argv: list[str]) -> int:
    """The exit code of ``terrain-viewer argv``, in process (argparse's usage errors exit via SystemExit)."""
    try:
        return cli_main(argv)
    except SystemExit as exc:
        return exc.code

TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12)
DATES = st.one_of(st.sampled_from(["1944-07-11", "1944-07-11T12:00", "1944-13-40", "99999-01-01",
                                   "1944-07-11T25:00", "1944-07-11T12:00+08:00", "0001-01-01", ""]), TEXT)
SIZES = st.one_of(st.sampled_from(["16x16", "32x24", "0x0", "99999999x2", "720pp", "4k", "x", "32×24"]), TEXT)
VIEWS = st.one_of(st.sampled_from(["650000,2970000,670000,2985000", "1,2,3", "nan,0,1,1", "0,0,inf,1",
                                   "1e308,1e308,1.7e308,1.7e308", "-1e300,-1e300,1e300,1e300",
                                   "112.5,26.8,112.7,27.0"]), TEXT)
CRS = st.sampled_from(["EPSG:4326", "EPSG:32649", "EPSG:nope", "+proj=ortho +lat_0=-26 +lon_0=-67", "衡阳"])
OPTION = st.one_of(
    st.tuples(st.just("--date"), DATES),
    st.tuples(st.just("--time"), st.sampled_from(["0.5", "-1", "nan", "x"])),
    st.tuples(st.just("--size"), SIZES), st.tuples(st.just("--view"), VIEWS),
    st.tuples(st.just("--view-crs"), CRS),
    st.tuples(st.just("--dpi"), st.sampled_from(["0", "72", "1e9", "x"])),
    st.tuples(st.just("--title"), TEXT), st.tuples(st.sampled_from(["--no-legend", "--chinese", "--overwrite",
                                                                    "--credits", "--bogus"])))


def _small(options: list[tuple]) -> list[tuple]:
    """A last ``--size`` keeps the frames that do render small (the machine is small)."""
    return [*options, ("--size", "32x24")]


def _check(code: int, capsys, allowed=(0, 2, 3)) -> None:
    err = capsys.readouterr().err
    assert code in allowed, err
    assert "Traceback" not in err and "unexpected error" not in err, err


def _render_args(tmp_path: Path, small_gpkg: Path, options: list[tuple], project: bool) -> list[str]:
    args = ["render", str(tmp_path / "s.tvproj") if project else str(small_gpkg), "--out",
            str(tmp_path / "out.png")]
    for option in options:
        args += list(option)
    return args


@pytest.fixture
def project(tmp_path: Path, small_gpkg: Path) -> Path:
    from terrain_viewer.core.model import ViewerModel
    from terrain_viewer.core.project import save_project

    return save_project(ViewerModel.open([small_gpkg]), tmp_path / "s.tvproj")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(options=st.lists(OPTION, max_size=4).map(_small), use_project=st.booleans())
def test_render_arguments_end_in_0_2_or_3(tmp_path: Path, small_gpkg: Path, project: Path, capsys, options,
                                          use_project):
    _check(main(_render_args(tmp_path, small_gpkg, options, use_project)), capsys)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(extra=st.lists(st.one_of(TEXT, st.sampled_from(["--json", "--bogus", "-"])), max_size=3))
def test_info_and_project_info_arguments_end_in_0_2_or_3(tmp_path: Path, small_gpkg: Path, project: Path,
                                                         capsys, extra):
    _check(main(["info", str(small_gpkg), *[e for e in extra if e.startswith("-")]]), capsys)
    for name in extra:  # names of files that do not exist, or odd flags
        _check(main(["project-info", str(tmp_path / (name.replace("/", "_") or "x")) + ".tvproj"]), capsys)
    _check(main(["project-info", str(project), *extra]), capsys)


@pytest.mark.slow
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(options=st.lists(OPTION, max_size=6).map(_small), use_project=st.booleans())
def test_render_arguments_end_in_0_2_or_3_many(tmp_path: Path, small_gpkg: Path, project: Path, capsys,
                                               options, use_project):
    _check(main(_render_args(tmp_path, small_gpkg, options, use_project)), capsys)
