"""View ▸ Positional uncertainty, clicked in the menu: halos appear on the map and go again."""

from __future__ import annotations

import numpy as np
from person import click_menu


def test_positional_uncertainty_clicked_in_the_menu_draws_halos_and_takes_them_off(qtbot, hengyang, grab_map):
    assert hengyang.model.options.uncertainty is False
    assert not hengyang.option_actions["uncertainty"].isChecked()
    plain = grab_map(hengyang)
    click_menu(qtbot, hengyang, "View", "Positional uncertainty")
    assert hengyang.model.options.uncertainty is True and hengyang.option_actions["uncertainty"].isChecked()
    halos = grab_map(hengyang)
    assert np.any(plain != halos, axis=2).sum() > 2000  # halos round many features, not a few pixels
    click_menu(qtbot, hengyang, "View", "Positional uncertainty")
    assert hengyang.model.options.uncertainty is False
    assert np.array_equal(grab_map(hengyang), plain)
