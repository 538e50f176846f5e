"""``kiosk serve``: the same kiosk in tablets' browsers, served from one laptop.

Each browser connection gets its own kiosk process (textual-serve runs it and draws it
with xterm.js in the page), in touch mode, saving into the one data directory under the
tablet's own kiosk id. The server runs the one background sync of that directory.
"""
