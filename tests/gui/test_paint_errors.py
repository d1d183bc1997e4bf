"""A paint of the map that fails ends its painter: a painter left active took the process down
(a segfault in a suite run) instead of one failed paint."""

from __future__ import annotations


def test_a_failed_paint_leaves_no_painter_active_and_the_map_paints_again(qtbot, hengyang, qtlog):
    canvas = hengyang.canvas
    assert canvas.wait_settled()
    calls = []

    def fail_once(painter) -> None:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("a paint that fails")

    canvas._paint_overlay = fail_once  # noqa: SLF001 - the last step of a paint
    with qtbot.capture_exceptions() as raised:
        canvas.repaint()
    assert [str(e[1]) for e in raised] == ["a paint that fails"]
    said = " ".join(record.message for record in qtlog.records)
    assert "active painter" not in said and "being painted" not in said
    canvas.repaint()
    assert len(calls) == 2  # the next paint ran to its end
