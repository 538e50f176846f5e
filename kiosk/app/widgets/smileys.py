"""A smiley scale people know at a glance: faces on buttons coloured from red to green.

HappyOrNot's terminals are the reference visitors know: a row of big buttons, red for the
unhappy face, green for the happy one. Here each point is such a button (its colour from
the theme's ``mood-1`` .. ``mood-5``, checked for contrast like every other pair), with a
face, its number (the key that picks it) and, on a five-point scale, a word
("Dårligt", "Godt"), so the meaning never rests on the face or the colour alone.

Only how the points look differs from :class:`ScaleBody`; picking and answering are its.
"""

from __future__ import annotations

from textual.app import ComposeResult

from kiosk.app.widgets.bodies import ScaleBody
from kiosk.app.widgets.tap_button import TapButton
from kiosk.records import AnswerValue

#: Worst to best; a scale of n points takes n of them, spread evenly.
FACES = ("😠", "🙁", "😐", "🙂", "😄")
#: A five-point scale names its points with these translation keys.
WORDS = tuple(f"question.mood_{n}" for n in range(1, 6))


class SmileyScaleBody(ScaleBody):
    """A ``style: smileys`` scale: coloured face buttons with words."""

    def _moods(self) -> list[int]:
        """The mood (0 worst .. 4 best) of each point."""
        count = len(self.question.points)
        last = max(count - 1, 1)
        return [round(i * (len(FACES) - 1) / last) for i in range(count)]

    def options(self) -> list[tuple[str, AnswerValue]]:
        points = self.question.points
        return [(FACES[mood], point) for mood, point in zip(self._moods(), points, strict=True)]

    def caption(self, number: int, label: str, value: AnswerValue) -> str:
        points = self.question.points
        if len(points) == len(WORDS):
            return f"{label} {value}\n{self.t(WORDS[points.index(value)])}"
        return f"{label}\n{value}"

    def option_buttons(self) -> list[TapButton]:
        buttons = super().option_buttons()
        for button, mood in zip(buttons, self._moods(), strict=True):
            button.add_class(f"-mood-{mood + 1}")
        return buttons

    def compose(self) -> ComposeResult:
        self.add_class("-smileys")
        # each point has its word: the survey's end labels would say it twice
        self.set_class(len(self.question.points) == len(WORDS), "-worded")
        yield from super().compose()
