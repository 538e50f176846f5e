"""Textual's Linux driver, except that a byte that is not UTF-8 cannot stop the kiosk.

Textual's input thread decodes the terminal's bytes strictly: one byte that is not UTF-8 (a
Latin-1 "æ" from a keyboard wedge or a terminal set to another locale) raises
``UnicodeDecodeError``, the input thread dies and the app exits. That is Textual's bug,
https://github.com/Textualize/textual/issues/6456 (open for Textual 8.2). Until it is fixed
upstream, :class:`LenientLinuxDriver` runs a copy of ``LinuxDriver.run_input_thread`` whose
one difference is the decoder: bytes that are not UTF-8 are dropped (``errors="ignore"``),
keys around them still arrive, and a multi-byte character split across two reads is still
joined. tests/app/test_supervise.py checks that the copy still matches the installed Textual
line for line (so an upgrade that changes the loop is noticed) and says when the bug is fixed
upstream, so this module can be deleted.
"""

from __future__ import annotations

import os
import selectors
from codecs import getincrementaldecoder

from textual._loop import loop_last
from textual._parser import ParseError
from textual._xterm_parser import XTermParser
from textual.drivers.linux_driver import LinuxDriver

#: How the copy below differs from Textual's: the one line that makes the decoder.
STRICT_DECODER = 'utf8_decoder = getincrementaldecoder("utf-8")().decode'
LENIENT_DECODER = 'utf8_decoder = getincrementaldecoder("utf-8")(errors="ignore").decode'


class LenientLinuxDriver(LinuxDriver):
    """LinuxDriver whose input thread drops bytes that are not UTF-8 instead of dying."""

    def run_input_thread(self) -> None:
        """Wait for input and dispatch events."""
        selector = selectors.SelectSelector()
        selector.register(self.fileno, selectors.EVENT_READ)

        fileno = self.fileno
        EVENT_READ = selectors.EVENT_READ

        parser = XTermParser(self._debug)
        feed = parser.feed
        tick = parser.tick

        utf8_decoder = getincrementaldecoder("utf-8")(errors="ignore").decode
        decode = utf8_decoder
        read = os.read

        def process_selector_events(
            selector_events: list[tuple[selectors.SelectorKey, int]],
            final: bool = False,
        ) -> None:
            """Process events from selector.

            Args:
                selector_events: List of selector events.
                final: True if this is the last call.

            """
            for last, (_selector_key, mask) in loop_last(selector_events):
                if mask & EVENT_READ:
                    unicode_data = decode(read(fileno, 1024 * 4), final=final and last)
                    if not unicode_data:
                        # This can occur if the stdin is piped
                        break
                    for event in feed(unicode_data):
                        self.process_message(event)
            for event in tick():
                self.process_message(event)

        try:
            while not self.exit_event.is_set():
                process_selector_events(selector.select(0.1))
            selector.unregister(self.fileno)
            process_selector_events(selector.select(0.1), final=True)

        finally:
            selector.close()
            try:
                for event in feed(""):  # noqa: B007
                    pass
            except (EOFError, ParseError):
                pass
