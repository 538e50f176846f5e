# Sourced by scripts/demo and scripts/test: make .venv and install Borgerkiosk into it.
# Needs only Python >= 3.11 with pip and venv. Re-running is quick: pip skips what is there.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
VENV="${BORGERKIOSK_VENV:-$ROOT/.venv}"
EXTRAS="${1:-}"

"$PYTHON" - <<'PY'
import sys
if sys.version_info < (3, 11):
    sys.exit(f"Borgerkiosk needs Python 3.11 or newer; this is {sys.version.split()[0]}.")
PY
if [ ! -x "$VENV/bin/python" ]; then
  echo "Creating the virtual environment in $VENV" >&2
  "$PYTHON" -m venv "$VENV"
fi
echo "Installing Borgerkiosk${EXTRAS:+ with [$EXTRAS]} (quiet)" >&2
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
  -e "$ROOT${EXTRAS:+[$EXTRAS]}"
