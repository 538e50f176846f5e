"""A hand-made event for the results tests: two kiosks, two survey versions, hostile ideas.

The expected numbers are counted here with plain loops over the same records, written
apart from :mod:`kiosk.results`, so a wrong rule in the model cannot also be in the check.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from kiosk.paths import SURVEYS_DIR
from kiosk.records import new_record
from kiosk.survey import load_survey, survey_hash

V1_FILE = SURVEYS_DIR / "gentofte-moedes.yaml"
V1_FESTIVAL = "Hvad synes du om Gentofte Mødes i dag?"
V2_FESTIVAL = "Hvordan har du det med Gentofte Mødes i dag?"
SCRIPT_TITLE = "<script>window.__pwned=1</script>"
FORMULA = '=HYPERLINK("http://evil.example","klik")'
KIOSKS = ("raadhus-1", "bibliotek-2")
TILKNYTNING = ("bor", "arbejder", "forening", "besoeger")
EMNER = ("aeldre", "boern-skole", "klima-groent", "kultur", "foreninger", "trafik")
THEMES = ["aeldre", "klima-groent", "trafik"]  # three of the bundled survey's idea themes
#: The response questions of the survey in order, with the condition of the one show_if.
ORDER = (
    "tilknytning",
    "emner",
    "festival",
    "opgaveudvalg",
    "opgaveudvalg-emne",
    "kommentar",
    "alder",
)


def write_v2(directory: Path) -> Path:
    """Version 2 of the bundled survey: the festival question reworded."""
    text = V1_FILE.read_text(encoding="utf-8")
    assert V1_FESTIVAL in text
    text = text.replace("version: 1", "version: 2", 1).replace(V1_FESTIVAL, V2_FESTIVAL)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "gentofte-moedes-v2.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def make_event(directory: Path, seed: int = 12) -> tuple[list[dict[str, Any]], list[Path]]:
    """Records of both versions and kiosks, and the survey files to read them with."""
    v2_file = write_v2(directory)
    hashes = {1: survey_hash(load_survey(V1_FILE)), 2: survey_hash(load_survey(v2_file))}
    rng = random.Random(seed)
    records: list[dict[str, Any]] = []
    for n in range(80):
        version = 1 if n < 45 else 2
        kiosk = KIOSKS[n % 2]
        hour = 9 + n % 8
        answers: dict[str, Any] = {"tilknytning": rng.choice(TILKNYTNING)}
        if rng.random() < 0.8:
            answers["emner"] = rng.sample(EMNER, rng.randint(1, 3))
        if rng.random() < 0.9:
            answers["festival"] = rng.randint(1, 5)
        if rng.random() < 0.85:
            answers["opgaveudvalg"] = rng.random() < 0.5
            if answers["opgaveudvalg"] and rng.random() < 0.8:
                answers["opgaveudvalg-emne"] = rng.choice(["aeldre", "klima", "innovation"])
        if rng.random() < 0.4:
            answers["kommentar"] = rng.choice(["Flere bænke", FORMULA, "<b>fed</b> & mere"])
        if rng.random() < 0.7:
            answers["alder"] = rng.randint(15, 90)
        completed = rng.random() < 0.75
        if not completed:  # walked away: the answers stop somewhere
            cut = rng.randint(1, len(ORDER) - 1)
            answers = {k: v for k, v in answers.items() if k in ORDER[:cut]}
        records.append(
            new_record(
                kind="response",
                survey_id="gentofte-moedes",
                survey_version=version,
                survey_hash=hashes[version],
                kiosk_id=kiosk,
                lang="da",
                started_at=f"2026-09-05T{hour - 2:02d}:{n % 60:02d}:00.000Z",
                completed=completed,
                answers=answers,
                suspect=n % 11 == 0,
            )
        )
    for n in range(12):
        title = SCRIPT_TITLE if n == 3 else f"Idé nummer {n}"
        records.append(
            new_record(
                kind="idea",
                survey_id="gentofte-moedes",
                survey_version=2,
                survey_hash=hashes[2],
                kiosk_id=KIOSKS[n % 2],
                lang="da",
                started_at=f"2026-09-05T{10 + n % 5:02d}:15:00.000Z",
                completed=True,
                answers={"aldersgruppe": "30-49"} if n % 2 else {},
                suspect=n == 7,
                ref=f"GM-{n:04d}",
                idea={
                    "theme": THEMES[n % 3],
                    "title": title,
                    "description": FORMULA if n == 5 else "En god idé",
                },
            )
        )
    return records, [V1_FILE, v2_file]


def expected(records: list[dict[str, Any]]) -> dict[str, Any]:
    """The default tally (completed and partial in, suspect out), counted by hand."""
    out: dict[str, Any] = {
        "completed": 0,
        "partial": 0,
        "suspect": 0,
        "visitors": 0,
        "ideas": 0,
        "tilknytning": {c: 0 for c in TILKNYTNING},
        "emner": {c: 0 for c in EMNER},
        "opgaveudvalg": {"yes": 0, "no": 0},
        "festival_values": [],
        "alder_values": [],
        "kommentar": [],
        "shown": {q: 0 for q in ORDER},
        "answered": {q: 0 for q in ORDER},
        "per_kiosk": {k: 0 for k in KIOSKS},
        "themes": {t: 0 for t in THEMES},
    }
    for r in records:
        if r["kind"] != "response":
            continue
        if r["suspect"]:
            out["suspect"] += 1
            continue
        if r["completed"]:
            out["completed"] += 1
        else:
            out["partial"] += 1
        out["visitors"] += 1
        out["per_kiosk"][r["kiosk_id"]] += 1
        a = r["answers"]
        # which questions the visitor passed: all visible ones when completed, else up to
        # the last one answered
        visible = [q for q in ORDER if q != "opgaveudvalg-emne" or a.get("opgaveudvalg") is True]
        if r["completed"]:
            passed = visible
        else:
            last = -1
            for i in range(len(visible)):
                if visible[i] in a:
                    last = i
            passed = visible[: last + 1]
        for q in passed:
            out["shown"][q] += 1
            if q in a:
                out["answered"][q] += 1
        if "tilknytning" in a:
            out["tilknytning"][a["tilknytning"]] += 1
        for c in a.get("emner", []):
            out["emner"][c] += 1
        if "opgaveudvalg" in a:
            out["opgaveudvalg"]["yes" if a["opgaveudvalg"] else "no"] += 1
        if "festival" in a:
            out["festival_values"].append(a["festival"])
        if "alder" in a:
            out["alder_values"].append(a["alder"])
        if "kommentar" in a:
            out["kommentar"].append(a["kommentar"])
    for r in records:
        if r["kind"] == "idea" and not r["suspect"]:
            out["ideas"] += 1
            out["themes"][r["idea"]["theme"]] += 1
            out["per_kiosk"][r["kiosk_id"]] += 1
    return out
