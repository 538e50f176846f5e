"""What several test modules share and no test module owns: the real collector in a subprocess
(:mod:`helpers.collector`), a fault-injecting proxy, QR decoding, a store child process, a
results event, the keys and taps that drive the app through Pilot, the test surveys, a real
terminal under tmux, and the snapshot matrix.

Importable as ``helpers`` because pyproject.toml puts tests/ on pytest's ``pythonpath``.
Fixtures are not here: they live in the conftest.py of the folder that uses them.
"""
