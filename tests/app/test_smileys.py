"""Smiley scales as visitors know them: coloured faces with words, separate targets at 80x24."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from helpers.pilot import click, current_id, keys, running
from helpers.surveys import ALL_TYPES
from kiosk.app.screens.question import QuestionScreen
from kiosk.app.widgets.smileys import FACES, SmileyScaleBody
from kiosk.app.widgets.tap_button import TapButton

pytestmark = pytest.mark.anyio

#: The trial survey with its smiley scale of five points; and one of three points.
THREE_POINTS = ALL_TYPES.replace("    max: 5\n", "    max: 3\n")


def points(screen: QuestionScreen) -> list[TapButton]:
    body = screen.body
    assert isinstance(body, SmileyScaleBody)
    return list(body.query(TapButton))


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_five_faces_red_to_green_with_words_each_a_separate_target(
    tmp_path: Path, size: tuple[int, int]
) -> None:
    async with running(tmp_path, size=size) as (app, pilot, _store):
        await keys(pilot, "1", "enter", "2", "enter")
        assert current_id(app) == "mood"
        screen = app.screen
        assert isinstance(screen, QuestionScreen)
        buttons = points(screen)
        labels = [str(b.render()) for b in buttons]
        words = ["Meget dårligt", "Dårligt", "Hverken eller", "Godt", "Meget godt"]
        for number, (label, face, word) in enumerate(zip(labels, FACES, words, strict=True)):
            assert label.split() == [face, str(number + 1), *word.split()]
        assert [f"-mood-{n}" in b.classes for n, b in enumerate(buttons, 1)] == [True] * 5
        colours = [b.styles.background.hex for b in buttons]
        moods = ("worst", "bad", "middle", "good", "best")
        assert colours == [app.palette[f"k-mood-{mood}"].upper() for mood in moods]
        regions = [b.region for b in buttons]
        for left, right in itertools.pairwise(regions):
            assert left.right <= right.x  # side by side, never overlapping
        for region in regions:  # each big enough for a finger, and on screen
            assert region.width >= 10 and region.height >= 3
            assert region.bottom <= size[1]
        assert not screen.body.query(".scale-labels").first().display  # the words say it
        await click(pilot, buttons[3])
        await pilot.pause()
        assert current_id(app) == "join"
        assert screen.flow.answers["mood"] == 4


async def test_a_scale_of_three_takes_the_worst_middle_and_best_faces_without_words(
    tmp_path: Path,
) -> None:
    async with running(tmp_path, survey_text=THREE_POINTS) as (app, pilot, _store):
        await keys(pilot, "1", "enter", "2", "enter")
        screen = app.screen
        assert isinstance(screen, QuestionScreen)
        buttons = points(screen)
        assert [str(b.render()).split() for b in buttons] == [
            [FACES[0], "1"],
            [FACES[2], "2"],
            [FACES[4], "3"],
        ]
        assert all(b.has_class(f"-mood-{n}") for b, n in zip(buttons, (1, 3, 5), strict=True))
        assert screen.body.query(".scale-labels").first().display  # the survey's end labels


ZERO_TO_TEN = """\
id: nps
version: 1
languages: [da]
title: Skala
intro: Prøve
thanks: Tak
questions:
  - id: score
    type: scale
    min: 0
    max: 10
    text: Fra 0 til 10{style}
  - id: done
    type: yes_no
    text: Færdig?
"""


@pytest.mark.parametrize("style", ["", "\n    style: smileys"], ids=["plain", "smileys"])
async def test_a_0_to_10_scale_at_80x24_has_eleven_separate_targets(
    tmp_path: Path, style: str
) -> None:
    text = ZERO_TO_TEN.format(style=style)
    async with running(tmp_path, survey_text=text, size=(80, 24)) as (app, pilot, _store):
        await keys(pilot, "1")
        assert current_id(app) == "score"
        screen = app.screen
        assert isinstance(screen, QuestionScreen)
        buttons = list(screen.body.query(TapButton))
        assert [str(b.render()).split()[-1] for b in buttons] == [str(n) for n in range(11)]
        regions = [b.region for b in buttons]
        for left, right in itertools.pairwise(regions):
            assert left.right <= right.x  # side by side, never overlapping
        for region in regions:  # each a target of its own, whole on screen
            assert region.width >= 5 and region.height >= 2
            assert region.right <= 80 and region.bottom <= 24
        await click(pilot, buttons[10])
        await pilot.pause()
        assert current_id(app) == "done"
        assert screen.flow.answers["score"] == 10
