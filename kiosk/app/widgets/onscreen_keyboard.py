"""An on-screen keyboard for touch-only kiosks: Danish letters, or a keypad for numbers.

Festival kiosks are often touch screens without a keyboard. The keys never take focus: a tap
types into the Input or TextArea of the screen that has (or last had) focus, exactly as a key
press would (the field's own max length and type restrictions apply). A tap may still move
focus to a focusable container around the keyboard (a scrolling question area), so the
keyboard remembers the last focused field and gives focus back to it on every tap.

Fields typed into this way do not select all their text on focus: focus coming back after a
tap must not make the next key replace the whole answer.

Keys are plain widgets rather than Buttons because a Button ignores a second tap during its
0.2 s press animation, which would drop the second letter of "nn" typed quickly.

Every caption that is a word ("Mellemrum", "Næste") comes from ``labels`` (translation data);
missing captions fall back to language-neutral symbols. The widget's own CSS is layout only:
the kiosk's stylesheet colours the keys from its theme, where the contrast test checks them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import ClassVar, Literal

from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Input, Static, TextArea

from kiosk.i18n import TranslationError

Layout = Literal["text", "number"]

# Special keys: their value is one of these names rather than a character.
SHIFT = "shift"
BACKSPACE = "backspace"
SPACE = "space"
NEXT = "next"
NEWLINE = "newline"
SYMBOLS = "symbols"
LETTERS = "letters"

#: Translation keys the caller may provide in ``labels``, with neutral fallbacks.
FALLBACK_LABELS: dict[str, str] = {
    SHIFT: "⇧",
    BACKSPACE: "⌫",
    SPACE: "␣",
    NEXT: "→",
    NEWLINE: "↵",
    SYMBOLS: "?123",
    LETTERS: "abc",
}

#: Prefix of the keyboard's keys in the translation files: ``keyboard.space`` and so on.
TRANSLATION_PREFIX = "keyboard."


def keyboard_labels(translate: Callable[[str], str]) -> dict[str, str]:
    """Captions from the kiosk's translations (``keyboard.<name>``), where they exist.

    A missing key falls back to its symbol rather than stopping a visitor mid-answer.
    """
    labels: dict[str, str] = {}
    for name in FALLBACK_LABELS:
        try:
            labels[name] = translate(TRANSLATION_PREFIX + name)
        except (KeyError, LookupError, TranslationError):
            continue
    return labels


_DIGIT_ROW = [*"1234567890", BACKSPACE]
_LETTER_ROWS = [
    list("qwertyuiopå"),
    list("asdfghjklæø"),
    [SHIFT, *"zxcvbnm,.-"],
]
_SYMBOL_ROWS = [
    list("!?@'\"#%&/()"),
    list("+=:;*_<>€$~"),
    [SHIFT, *"éèüöäñ§,.-"],
]
_KEYPAD_ROWS = [list("789"), list("456"), list("123")]


class Key(Static, can_focus=False):
    """One key: a tap posts :class:`Key.Tapped`; it never takes focus from the field."""

    #: A key is pressed, not selected: see ``TapButton.ALLOW_SELECT``.
    ALLOW_SELECT: ClassVar[bool] = False

    class Tapped(Message):
        def __init__(self, key: Key) -> None:
            super().__init__()
            self.key = key

    def __init__(self, value: str, caption: str, *, classes: str = "") -> None:
        super().__init__(caption, markup=False, classes=f"osk-key {classes}".strip())
        self.value = value

    def on_click(self, event: events.Click) -> None:
        event.stop()
        self.add_class("-pressed")
        self.set_timer(0.15, lambda: self.remove_class("-pressed"))
        self.post_message(self.Tapped(self))


class OnScreenKeyboard(Widget):
    """Keys that type into the focused Input or TextArea; ``layout="number"`` is a keypad.

    ``multiline`` adds a new-line key (for a TextArea), ``negative`` a minus key on the keypad.
    Shift applies to the next letter only. Next posts :class:`OnScreenKeyboard.Next`; every
    tap also posts :class:`OnScreenKeyboard.KeyPressed`.
    """

    DEFAULT_CSS = """
    OnScreenKeyboard {
        height: auto;
        width: 1fr;
        max-width: 90;
        padding: 0 1;
    }
    OnScreenKeyboard.-number {
        max-width: 40;
    }
    OnScreenKeyboard > Horizontal {
        height: 2;
        width: 1fr;
    }
    OnScreenKeyboard .osk-key {
        width: 1fr;
        min-width: 3;
        height: 2;
        margin-right: 1;
        content-align: center middle;
        text-style: bold;
    }
    OnScreenKeyboard .osk-space {
        width: 5fr;
    }
    OnScreenKeyboard .osk-wide {
        width: 2fr;
    }
    OnScreenKeyboard .osk-next {
        width: 3fr;
    }
    OnScreenKeyboard.-number .osk-next {
        width: 1fr;
    }
    """

    class KeyPressed(Message):
        """A key typed ``key``: the text typed (``"G"``, ``" "``, ``"\\n"``) or ``"backspace"``."""

        def __init__(self, keyboard: OnScreenKeyboard, key: str) -> None:
            super().__init__()
            self.keyboard = keyboard
            self.key = key

        @property
        def control(self) -> OnScreenKeyboard:
            return self.keyboard

    class Next(Message):
        """The Next key was tapped: move on, as Enter or Tab would."""

        def __init__(self, keyboard: OnScreenKeyboard) -> None:
            super().__init__()
            self.keyboard = keyboard

        @property
        def control(self) -> OnScreenKeyboard:
            return self.keyboard

    def __init__(
        self,
        layout: Layout = "text",
        *,
        labels: Mapping[str, str] | None = None,
        multiline: bool = False,
        negative: bool = False,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        if layout not in ("text", "number"):
            raise ValueError(f"keyboard layout must be 'text' or 'number', not {layout!r}")
        super().__init__(id=id, classes=classes)
        self.keyset = layout
        self.labels = {**FALLBACK_LABELS, **(labels or {})}
        self.multiline = multiline
        self.negative = negative
        self.shift = False
        self.symbols = False
        self._field: Input | TextArea | None = None
        self.add_class(f"-{layout}")

    def on_mount(self) -> None:
        self._remember(self.screen.focused)
        self.watch(self.screen, "focused", self._remember, init=False)

    def _remember(self, focused: Widget | None) -> None:
        if isinstance(focused, Input):
            focused.select_on_focus = False
        if isinstance(focused, Input | TextArea):
            self._field = focused

    # --- layout -------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        rows = self._text_rows() if self.keyset == "text" else self._number_rows()
        for row in rows:
            with Horizontal():
                yield from row

    def _text_rows(self) -> list[list[Key]]:
        rows = [[self._key(v) for v in _DIGIT_ROW]]
        rows += [[self._key(v) for v in row] for row in _LETTER_ROWS]
        bottom = [self._key(SYMBOLS, "osk-wide osk-toggle"), self._key(SPACE, "osk-space")]
        if self.multiline:
            bottom.append(self._key(NEWLINE, "osk-wide"))
        bottom.append(self._key(NEXT, "osk-next"))
        rows.append(bottom)
        return rows

    def _number_rows(self) -> list[list[Key]]:
        rows = [[self._key(v) for v in row] for row in _KEYPAD_ROWS]
        if self.negative:
            rows.append([self._key("-"), self._key("0"), self._key(BACKSPACE)])
            rows.append([self._key(NEXT, "osk-next")])
        else:
            rows.append([self._key(BACKSPACE), self._key("0"), self._key(NEXT, "osk-next")])
        return rows

    def _key(self, value: str, classes: str = "") -> Key:
        special = value in FALLBACK_LABELS
        caption = self.labels[value] if special else value
        return Key(value, caption, classes=f"{'osk-special ' if special else ''}{classes}")

    def _relabel(self) -> None:
        """Show the current case and symbol set on the keys (positions never change)."""
        letter_keys = [key for key in self.query(Key) if key.value not in FALLBACK_LABELS]
        rows = _SYMBOL_ROWS if self.symbols else _LETTER_ROWS
        chars = [v for row in rows for v in row if v not in FALLBACK_LABELS]
        if self.keyset == "text":
            digits = [v for v in _DIGIT_ROW if v not in FALLBACK_LABELS]
            for key, char in zip(letter_keys, digits + chars, strict=True):
                key.value = char
                key.update(char.upper() if self.shift else char)
            toggle = self.query_one(".osk-toggle", Key)
            toggle.update(self.labels[LETTERS if self.symbols else SYMBOLS])
        for key in self.query(Key):
            if key.value == SHIFT:
                key.set_class(self.shift, "-on")

    # --- typing -------------------------------------------------------------------------

    def on_key_tapped(self, message: Key.Tapped) -> None:
        message.stop()
        field = self.target
        if field is not None:
            self._give_focus_back(field)
        self.press(message.key.value)

    def press(self, value: str) -> None:
        """Act as if the key ``value`` was tapped (a character or a special key name)."""
        if value == NEXT:
            self.post_message(self.Next(self))
            return
        if value == SHIFT:
            self.shift = not self.shift
            self._relabel()
            return
        if value in (SYMBOLS, LETTERS):
            self.symbols = not self.symbols
            self._relabel()
            return
        if value == BACKSPACE:
            self._delete_left()
            self.post_message(self.KeyPressed(self, BACKSPACE))
            return
        text = {SPACE: " ", NEWLINE: "\n"}.get(value, value)
        if self.shift and value not in (SPACE, NEWLINE):
            text = text.upper()
        self._insert(text)
        if self.shift and text.isalpha():
            self.shift = False
            self._relabel()
        self.post_message(self.KeyPressed(self, text))

    @property
    def target(self) -> Input | TextArea | None:
        """The field keys type into: the focused Input or TextArea, else the last one focused."""
        if not self.is_attached:
            return None
        focused = self.screen.focused
        if isinstance(focused, Input | TextArea):
            return focused
        field = self._field
        if field is None or not field.is_attached or field.screen is not self.screen:
            return None
        return field if field.display and not field.disabled else None

    def _give_focus_back(self, field: Input | TextArea) -> None:
        if self.screen.focused is not field:
            field.focus(scroll_visible=False)

    def _insert(self, text: str) -> None:
        field = self.target
        if field is None:
            return
        if isinstance(field, Input):
            if text == "\n":
                return
            start, end = sorted(field.selection)
            field.replace(text, start, end)
        elif not field.read_only:
            field.replace(text, *field.selection, maintain_selection_offset=False)

    def _delete_left(self) -> None:
        field = self.target
        if field is not None:
            field.action_delete_left()
