"""The answer area of the question screen: one widget per question type.

The question screen swaps these in place (no new Screen per question: that is what keeps
a key press to the next question under 25 ms). Each body reports up with messages and
takes digit keys through :meth:`AnswerBody.value_for`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Input, Static, TextArea

from kiosk.app.widgets.onscreen_keyboard import OnScreenKeyboard, keyboard_labels
from kiosk.app.widgets.tap_button import TapButton
from kiosk.i18n import Translator, localize
from kiosk.records import AnswerValue
from kiosk.sanitize import clean_text

if TYPE_CHECKING:
    from kiosk.survey.model import Question

#: Shown after a chosen option, so what is chosen never depends on seeing colour.
CHOSEN_MARK = "✓"
#: Faces of a smiley scale, from worst to best; a scale of n points takes n of them.
FACES = (":-((", ":-(", ":-|", ":-)", ":-D")


@dataclass(frozen=True)
class Picked:
    """What a pick made of the answer: the new value, and whether the pick moves on."""

    value: AnswerValue | None
    advance: bool


#: What a digit key did: picked a value, or waits for the next digit (a longer point may
#: follow); None when the digit means nothing here.
DigitOutcome = tuple[Literal["pick"], AnswerValue] | tuple[Literal["wait"], None] | None


class AnswerBody(Vertical):
    """Base of every answer area (the question screen's arrows move between options).

    A body is only a view: the question screen reads its value (:meth:`read_value`) when
    the visitor moves on, and its messages carry the :attr:`turn` they were made in, so
    the flow can refuse what was meant for a question that is no longer on screen.
    """

    #: The body takes all the room the question screen has (a free text to write).
    FILLS: ClassVar[bool] = False

    class Changed(Message):
        """The visitor changed the answer (typing): the Next label may change."""

        def __init__(self, body: AnswerBody, value: AnswerValue | None) -> None:
            super().__init__()
            self.body = body
            self.value = value
            #: The turn of the flow the body was shown in when this was made.
            self.turn = body.turn

    class Refused(Message):
        """A pick was refused (too many choices, out of range): show this message."""

        def __init__(self, key: str, values: dict[str, Any]) -> None:
            super().__init__()
            self.key = key
            self.values = values

    class Submitted(Message):
        """Next on the on-screen keyboard: move on."""

        def __init__(self, body: AnswerBody) -> None:
            super().__init__()
            self.body = body
            self.turn = body.turn

    class LeaveField(Message):
        """Tab in a multi-line field (where Enter is a new line): focus Next."""

        def __init__(self, body: AnswerBody) -> None:
            super().__init__()
            self.body = body
            self.turn = body.turn

    def __init__(
        self,
        question: Question,
        value: AnswerValue | None,
        t: Translator,
        lang: str,
        *,
        touch: bool = False,
    ) -> None:
        super().__init__(classes="answer-body")
        self.question = question
        self.value = value
        self.t = t
        self.lang = lang
        #: A touch kiosk (``--touch``): text and number fields bring an on-screen keyboard.
        self.touch = touch
        #: Set by the question screen each time it shows this body (the flow's turn).
        self.turn = -1

    def text(self, text: Any) -> str:
        return localize(text, self.lang)

    def read_value(self) -> AnswerValue | None:
        """The answer as the widgets on screen hold it now (read when the visitor moves on,
        so keys typed just before Enter are never lost to a message still in a queue)."""
        return self.value

    def show_value(self, value: AnswerValue | None) -> None:
        """Show ``value`` (the flow's answer) when this body is shown again."""
        self.value = value

    def value_for(self, number: int) -> tuple[bool, AnswerValue | None]:
        """Digit key ``number`` (1-based): (True, the option's value) when it picks one."""
        return False, None

    def choose(self, value: AnswerValue) -> Picked | None:
        """Pick an option (digit, tap or Enter on it); None when refused (too many)."""
        return None

    def digit(self, char: str) -> DigitOutcome:
        """A digit key: options are numbered from 1, in the order shown."""
        if char == "0":
            return None
        found, value = self.value_for(int(char))
        return ("pick", value) if found else None  # type: ignore[return-value]

    def take_pending(self) -> AnswerValue | None:
        """The point typed so far that waits for a second digit (then forgotten), or None."""
        return None

    def reopen(self) -> None:
        """The visitor stays on this question (Enter was refused): fields take keys again."""
        for field in self.query("AnswerInput, AnswerArea"):
            field.sealed = False  # type: ignore[attr-defined]

    def focus_first(self) -> bool:
        """Focus the text field, if any; options are not focused up front, so nothing looks
        chosen before the visitor chooses (and Enter skips an unanswered question)."""
        for widget in self.query("Input, TextArea"):
            widget.focus(scroll_visible=False)
            return True
        return False


class AnswerInput(Input):
    """A one-line field that takes no more keys after Enter until it is opened again.

    Keys typed after Enter in one burst (a paste of two lines, a scanner) were meant for
    the next question, not this answer; the question screen reads the field at Enter.
    """

    sealed = False

    # Textual calls the handler of each class in the MRO: these run before Input's, and
    # prevent_default() keeps Input's from running.
    def _on_key(self, event: events.Key) -> None:
        if event.key == "enter":
            self.sealed = True  # it goes on to the question screen, which moves on
        elif self.sealed:
            event.stop()
            event.prevent_default()

    def _on_paste(self, event: events.Paste) -> None:
        if self.sealed:
            event.stop()
            event.prevent_default()


class AnswerArea(TextArea):
    """A wrapping field for one paragraph: Enter moves on (as in :class:`AnswerInput`),
    a pasted line break becomes a space, and keys after Enter in one burst are dropped."""

    sealed = False

    def _on_key(self, event: events.Key) -> None:
        if self.sealed:
            event.stop()
            event.prevent_default()
        elif event.key == "enter":
            self.sealed = True
            event.prevent_default()  # no new line; the question screen moves on

    def _on_paste(self, event: events.Paste) -> None:
        event.stop()
        event.prevent_default()
        if not self.sealed:
            self.insert(" ".join(event.text.splitlines()))


class OptionsBody(AnswerBody):
    """Answers as a list of big buttons numbered 1, 2, 3, ..."""

    horizontal: ClassVar[bool] = False
    #: Classes of each option button.
    option_classes: ClassVar[str] = "option"

    def options(self) -> list[tuple[str, AnswerValue]]:
        raise NotImplementedError

    def caption(self, number: int, label: str, value: AnswerValue) -> str:
        """An option's text: its number (the key that picks it) and its label."""
        return f"{number}  {label}"

    def _text(self, number: int, label: str, value: AnswerValue) -> str:
        """The caption, marked when chosen: a sign, not colour alone, says what is chosen."""
        text = self.caption(number, label, value)
        return f"{text}  {CHOSEN_MARK}" if self._is_selected(value) else text

    def option_buttons(self) -> list[TapButton]:
        buttons = []
        for number, (label, value) in enumerate(self.options(), start=1):
            button = TapButton(
                self._text(number, label, value), value=value, classes=self.option_classes
            )
            button.set_class(self._is_selected(value), "-selected")
            buttons.append(button)
        return buttons

    def compose(self) -> ComposeResult:
        if self.horizontal:
            yield Horizontal(*self.option_buttons(), classes="option-row")
        else:
            yield from self.option_buttons()

    def _is_selected(self, value: AnswerValue) -> bool:
        return self.value == value and type(self.value) is type(value)

    def value_for(self, number: int) -> tuple[bool, AnswerValue | None]:
        options = self.options()
        if not 1 <= number <= len(options):
            return False, None
        return True, options[number - 1][1]

    def choose(self, value: AnswerValue) -> Picked | None:
        self.value = value
        self._mark()
        return Picked(value, advance=True)

    def show_value(self, value: AnswerValue | None) -> None:
        if value != self.value or type(value) is not type(self.value):
            self.value = value
            self._mark()

    def _mark(self) -> None:
        options = enumerate(self.options(), start=1)
        for button, (number, (label, value)) in zip(self.query(TapButton), options, strict=True):
            button.set_class(self._is_selected(value), "-selected")
            text = self._text(number, label, value)
            if button.content != text:  # an unchanged option is not redrawn
                button.update(text)


class ChoiceBody(OptionsBody):
    def options(self) -> list[tuple[str, AnswerValue]]:
        return [(self.text(c.text), c.id) for c in self.question.choices]


class YesNoBody(OptionsBody):
    horizontal = True

    def options(self) -> list[tuple[str, AnswerValue]]:
        return [(self.t("question.yes"), True), (self.t("question.no"), False)]


class ConsentBody(YesNoBody):
    """Yes or no to being contacted, in words that say what yes means."""

    def options(self) -> list[tuple[str, AnswerValue]]:
        return [(self.t("idea.consent_yes"), True), (self.t("idea.consent_no"), False)]


class ScaleBody(OptionsBody):
    """A row of points; smileys style shows faces above the numbers."""

    horizontal = True
    option_classes = "option point"

    def options(self) -> list[tuple[str, AnswerValue]]:
        points = self.question.points
        if self.question.style != "smileys":
            return [("", p) for p in points]
        last = max(len(points) - 1, 1)
        return [(FACES[round(i * (len(FACES) - 1) / last)], p) for i, p in enumerate(points)]

    def caption(self, number: int, label: str, value: AnswerValue) -> str:
        return f"{label}\n{value}" if label else str(value)

    #: Digits typed so far of a point that may be longer (the "1" of "10").
    _typed: str = ""

    def digit(self, char: str) -> DigitOutcome:
        """A point is typed with its own number. A digit that could begin a longer point
        (``1`` on a 0-10 scale) waits for the next digit, or Enter, or the moment to pass
        (the question screen's timer), so every point can be reached by keys."""
        points = [str(p) for p in self.question.points]
        typed = self._typed + char
        if not any(p.startswith(typed) for p in points):
            pending = self.take_pending()
            if pending is not None:  # "1" then "7" on 0-10: the 1 stands, the 7 goes
                return ("pick", pending)
            typed = char
            if not any(p.startswith(typed) for p in points):
                return None
        if typed in points and not any(p != typed and p.startswith(typed) for p in points):
            self._typed = ""
            return ("pick", int(typed))
        self._typed = typed
        if typed in points:  # show which point Enter (or waiting) would take
            buttons = list(self.query(TapButton))
            buttons[points.index(typed)].focus(scroll_visible=False)
        return ("wait", None)

    def take_pending(self) -> AnswerValue | None:
        typed, self._typed = self._typed, ""
        points = [str(p) for p in self.question.points]
        return int(typed) if typed in points else None

    def show_value(self, value: AnswerValue | None) -> None:
        self._typed = ""
        super().show_value(value)

    def compose(self) -> ComposeResult:
        yield Horizontal(*self.option_buttons(), classes="option-row")
        yield Horizontal(
            Static(self.text(self.question.min_label), classes="scale-label", markup=False),
            Static(self.text(self.question.max_label), classes="scale-label -max", markup=False),
            classes="scale-labels",
        )


class MultiChoiceBody(OptionsBody):
    """Toggles with a visible count; ``max_choices`` refuses one more, kindly."""

    def options(self) -> list[tuple[str, AnswerValue]]:
        return [(self.text(c.text), c.id) for c in self.question.choices]

    def compose(self) -> ComposeResult:
        yield Static(self._count_text(), id="choice-count", classes="hint", markup=False)
        yield from super().compose()

    def _selected(self) -> list[str]:
        return list(self.value) if isinstance(self.value, list) else []

    def _is_selected(self, value: AnswerValue) -> bool:
        return value in self._selected()

    def _count_text(self) -> str:
        count = len(self._selected())
        if self.question.max_choices:
            return self.t("question.chosen", count=count, max=self.question.max_choices)
        return self.t("question.chosen_unlimited", count=count)

    def choose(self, value: AnswerValue) -> Picked | None:
        selected = self._selected()
        if value in selected:
            selected.remove(value)  # type: ignore[arg-type]
        else:
            limit = self.question.max_choices
            if limit and len(selected) >= limit:
                self.post_message(self.Refused("question.max_reached", {"max": limit}))
                return None
            selected.append(value)  # type: ignore[arg-type]
        # Keep the survey's order, whatever order they were tapped in.
        order = [c.id for c in self.question.choices]
        self.value = sorted(selected, key=order.index) or None
        self._mark()
        self.query_one("#choice-count", Static).update(self._count_text())
        return Picked(self.value, advance=False)

    def show_value(self, value: AnswerValue | None) -> None:
        if value != self.value:
            self.value = value
            self._mark()
            self.query_one("#choice-count", Static).update(self._count_text())


class FieldBody(AnswerBody):
    """A one-line field (``#answer-input``) whose text :meth:`_parse` turns into the answer;
    Enter, or Next on the on-screen keyboard, moves on."""

    def _parse(self, text: str) -> AnswerValue | None:
        raise NotImplementedError

    def read_value(self) -> AnswerValue | None:
        return self._parse(self.query_one("#answer-input", Input).value)

    def show_value(self, value: AnswerValue | None) -> None:
        field = self.query_one("#answer-input", AnswerInput)
        field.sealed = False
        if self._parse(field.value) != value:
            field.value = "" if value is None else str(value)
        self.value = value

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.post_message(self.Submitted(self))

    def on_on_screen_keyboard_next(self, event: OnScreenKeyboard.Next) -> None:
        event.stop()
        self.post_message(self.Submitted(self))


class TextBody(FieldBody):
    """A one-line text field with a character counter; Enter moves on."""

    def compose(self) -> ComposeResult:
        limit = self.question.max_length
        yield AnswerInput(
            value=str(self.value or ""),
            max_length=limit,
            placeholder=self.t("question.type_hint"),
            id="answer-input",
        )
        yield Static(self._counter(str(self.value or "")), id="char-count", classes="hint")
        if self.touch:
            yield OnScreenKeyboard("text", labels=keyboard_labels(self.t))

    def _counter(self, text: str) -> str:
        return self.t("question.characters", count=len(text), max=self.question.max_length)

    def _parse(self, text: str) -> AnswerValue | None:
        return clean_text(text, self.question.max_length) or None

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.query_one("#char-count", Static).update(self._counter(event.value))
        self.value = self._parse(event.value)
        self.post_message(self.Changed(self, self.value))


class NumberBody(FieldBody):
    """Digits only; the range is checked on Enter (the flow refuses what is out of range)."""

    def compose(self) -> ComposeResult:
        yield AnswerInput(
            value="" if self.value is None else str(self.value),
            type="integer",
            max_length=9,
            placeholder=self.t("question.type_hint"),
            id="answer-input",
        )
        if self.touch:
            negative = self.question.min is not None and self.question.min < 0
            yield OnScreenKeyboard("number", labels=keyboard_labels(self.t), negative=negative)

    def _parse(self, text: str) -> AnswerValue | None:
        try:
            return int(text) if text.strip() else None
        except ValueError:
            return None

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.value = self._parse(event.value)
        self.post_message(self.Changed(self, self.value))


class TextAreaBody(AnswerBody):
    """A multi-line text (an idea's description) with a character counter.

    Enter starts a new line, so Tab leaves the field for Next (and Enter there moves on).
    The length limit is kept by trimming what goes past it: TextArea has no max length.
    The field takes the room the screen has, so a long idea can be read as it is written.
    """

    FILLS = True

    def compose(self) -> ComposeResult:
        yield TextArea(
            str(self.value or ""),
            soft_wrap=True,
            tab_behavior="focus",
            show_line_numbers=False,
            id="answer-area-input",
        )
        yield Static(self._counter(str(self.value or "")), id="char-count", classes="hint")
        if self.touch:
            yield OnScreenKeyboard("text", labels=keyboard_labels(self.t), multiline=True)

    def _counter(self, text: str) -> str:
        return self.t("question.characters", count=len(text), max=self.question.max_length)

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        event.stop()
        area, limit = event.text_area, self.question.max_length
        if len(area.text) > limit:
            document = area.document
            area.delete(document.get_location_from_index(limit), document.end)
            return  # the delete posts another Changed
        self.query_one("#char-count", Static).update(self._counter(area.text))
        self.value = self._parse(area.text)
        self.post_message(self.Changed(self, self.value))

    def _parse(self, text: str) -> AnswerValue | None:
        cleaned = clean_text(text, self.question.max_length, multiline=True)
        return cleaned if cleaned.strip() else None

    def read_value(self) -> AnswerValue | None:
        return self._parse(self.query_one("#answer-area-input", TextArea).text)

    def show_value(self, value: AnswerValue | None) -> None:
        area = self.query_one("#answer-area-input", TextArea)
        if self._parse(area.text) != value:
            area.text = "" if value is None else str(value)
        self.value = value

    def on_key(self, event: events.Key) -> None:
        if event.key == "tab" and isinstance(self.screen.focused, TextArea):
            event.stop()
            event.prevent_default()
            self.post_message(self.LeaveField(self))

    def on_on_screen_keyboard_next(self, event: OnScreenKeyboard.Next) -> None:
        event.stop()
        self.post_message(self.Submitted(self))


class LongTextBody(TextAreaBody):
    """A text question whose answer may run past one line: the field wraps and grows with
    the answer, up to the space it has, instead of scrolling sideways. Enter moves on."""

    FILLS = False

    def compose(self) -> ComposeResult:
        yield AnswerArea(
            str(self.value or ""),
            soft_wrap=True,
            tab_behavior="focus",
            show_line_numbers=False,
            id="answer-area-input",
            classes="-paragraph",
        )
        yield Static(self._counter(str(self.value or "")), id="char-count", classes="hint")
        if self.touch:
            yield OnScreenKeyboard("text", labels=keyboard_labels(self.t))

    def _parse(self, text: str) -> AnswerValue | None:
        return clean_text(text, self.question.max_length) or None

    def show_value(self, value: AnswerValue | None) -> None:
        self.query_one("#answer-area-input", AnswerArea).sealed = False
        super().show_value(value)


#: Answers that may be longer than this get a wrapping field (LongTextBody); up to it (a
#: name, an idea's title) one line is enough.
ONE_LINE_CHARACTERS = 80


class InfoBody(AnswerBody):
    """Info screens have no answer: the question text and help say it all."""

    def compose(self) -> ComposeResult:
        return iter(())


BODIES: dict[str, type[AnswerBody]] = {
    "consent": ConsentBody,
    "area": TextAreaBody,
    "single_choice": ChoiceBody,
    "multiple_choice": MultiChoiceBody,
    "scale": ScaleBody,
    "yes_no": YesNoBody,
    "text": TextBody,
    "number": NumberBody,
    "info": InfoBody,
}


def body_for(
    question: Question,
    value: AnswerValue | None,
    t: Translator,
    lang: str,
    widget: str | None = None,
    *,
    touch: bool = False,
) -> AnswerBody:
    """The answer area for a question of any type, or the ``widget`` a step asks for.

    Smiley scales get faces, and text questions whose answer may be long a wrapping field.
    """
    if widget is None and question.type == "scale" and question.style == "smileys":
        from kiosk.app.widgets.smileys import SmileyScaleBody

        return SmileyScaleBody(question, value, t, lang, touch=touch)
    if widget is None and question.type == "text" and question.max_length > ONE_LINE_CHARACTERS:
        return LongTextBody(question, value, t, lang, touch=touch)
    return BODIES[widget or question.type](question, value, t, lang, touch=touch)
