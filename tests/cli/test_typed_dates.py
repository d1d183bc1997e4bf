"""The command line takes the dates the window takes ("14 July 1944", "14/7/1944", ISO), and says why
a date is none as the window does. Found by a new user: ``render --date "14 July 1944"`` was
refused although the date bar took it, and ``--date 1944-06-31`` only asked for "an ISO date"."""

from __future__ import annotations

from PIL import Image

from terrain_viewer.cli import main


def test_render_takes_a_date_as_people_write_it(tmp_path):
    for n, typed in enumerate(("14 July 1944", "14/7/1944", "July 14, 1944", "1944-7-14", "14 Jul 1944")):
        out = tmp_path / f"{n}.png"
        assert main(["render", "--date", typed, "--size", "320x180", "--out", str(out)]) == 0
        assert Image.open(out).text["Date"].startswith("14 July 1944"), typed


def test_a_day_its_month_has_not_is_said_so(tmp_path, capsys):
    for typed in ("1944-06-31", "31 June 1944"):
        assert main(["render", "--date", typed, "--size", "320x180", "--out", str(tmp_path / "x.png")]) == 2
        err = capsys.readouterr().err
        assert "is not a date: June 1944 has 30 days" in err, err
    export = ["export", "--out", str(tmp_path / "x.mp4"), "--from", "1944-06-31", "--to", "1944-07-02"]
    assert main(export) == 2
    assert "June 1944 has 30 days" in capsys.readouterr().err
    assert main(["export", "--out", str(tmp_path / "d"), "--from", "14 July 1944", "--to", "14 July 1944",
                 "--size", "160x90", "--quiet"]) == 0
    assert len(list((tmp_path / "d").iterdir())) >= 1
    assert not (tmp_path / "x.png").exists() and not (tmp_path / "x.mp4").exists()


def test_sept_is_read_as_september(tmp_path, capsys):
    """"1 Sept 1944" was "not a date" (Python's and Qt's abbreviation is Sep). Found by a new user."""
    out = str(tmp_path / "x.png")
    assert main(["render", "--date", "1 Sept 1944", "--size", "320x180", "--out", out]) == 0
    err = capsys.readouterr().err
    assert "not a date" not in err and "is outside the data's dates" in err, err  # a warning
