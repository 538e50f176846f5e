"""The surveys the tests run: small YAML texts that between them use every question type, the
idea card, the contact step and a second survey beside the first, and the bundled survey."""

from __future__ import annotations

from pathlib import Path

from kiosk.paths import PROJECT_ROOT

BUNDLED_SURVEY = PROJECT_ROOT / "surveys" / "gentofte-moedes.yaml"

ALL_TYPES = """\
id: all-types
version: 1
languages: [da, en]
title: {da: Alle typer, en: All types}
intro: {da: En prøve, en: A trial}
thanks: {da: Tak for svarene, en: Thanks for the answers}
questions:
  - id: hello
    type: info
    text: {da: Velkommen til prøven, en: Welcome to the trial}
  - id: where
    type: single_choice
    required: true
    text: {da: Hvor bor du, en: Where do you live}
    choices:
      - {id: north, text: {da: Nord, en: North}}
      - {id: south, text: {da: Syd, en: South}}
      - {id: away, text: {da: Andet sted, en: Elsewhere}}
  - id: topics
    type: multiple_choice
    max_choices: 2
    text: {da: Emner, en: Topics}
    choices:
      - {id: a, text: {da: Alfa, en: Alpha}}
      - {id: b, text: {da: Beta, en: Beta}}
      - {id: c, text: {da: Gamma, en: Gamma}}
  - id: mood
    type: scale
    style: smileys
    min: 1
    max: 5
    min_label: {da: Skidt, en: Poor}
    max_label: {da: Godt, en: Good}
    text: {da: Humør, en: Mood}
  - id: join
    type: yes_no
    text: {da: Vil du være med, en: Will you join}
  - id: join-what
    type: single_choice
    show_if: {question: join, equals: true}
    text: {da: Med i hvad, en: Join what}
    choices:
      - {id: x, text: {da: Iks, en: Ex}}
      - {id: y, text: {da: Yps, en: Why}}
  - id: words
    type: text
    max_length: 20
    text: {da: Sig noget, en: Say something}
  - id: age
    type: number
    min: 10
    max: 110
    text: {da: Din alder, en: Your age}
"""

IDEAS = """\
id: ideer
version: 1
languages: [da, en]
ref_prefix: ID
title: {da: Idéer til byen, en: Ideas for the town}
intro: {da: Fortæl os det, en: Tell us}
thanks: {da: Tak, en: Thanks}
questions:
  - id: mood
    type: yes_no
    text: {da: Godt humør, en: Good mood}
ideas:
  prompt: {da: Hvad handler din idé om, en: What is your idea about}
  themes:
    - {id: groent, text: {da: Grønt, en: Green}}
    - {id: trafik, text: {da: Trafik, en: Traffic}}
    - {id: kultur, text: {da: Kultur, en: Culture}}
  allow_contact: true
  consent:
    da: Vi gemmer dit navn og din e-mail eller dit telefonnummer i et år.
    en: We keep your name and your e-mail or phone number for a year.
  questions:
    - id: alder
      type: single_choice
      text: {da: Din alder, en: Your age}
      choices:
        - {id: ung, text: {da: Under 30, en: Under 30}}
        - {id: aeldre, text: {da: 30 eller mere, en: 30 or more}}
followup:
  url: https://example.dk/ide/{ref}
  text: {da: Scan for at følge din idé, en: Scan to follow your idea}
"""

SECOND = """\
id: second
version: 1
languages: [da, en]
title: {da: Trafik, en: Traffic}
intro: {da: Et kort spørgsmål, en: One short question}
thanks: {da: Tak, en: Thanks}
questions:
  - id: bike
    type: yes_no
    required: true
    text: {da: Cykler du, en: Do you cycle}
"""

CONTACT_SURVEY = """\
id: udvalg
version: 1
languages: [da, en]
title: {da: Opgaveudvalg, en: Task committee}
intro: {da: Et kort spørgsmål, en: One short question}
thanks: {da: Tak, en: Thanks}
questions:
  - id: med
    type: yes_no
    text: {da: Vil du være med, en: Will you join}
  - id: kontakt
    type: contact
    show_if: {question: med, equals: true}
    text: {da: Må vi kontakte dig, en: May we contact you}
    help: {da: Vi gemmer navn og e-mail i et år, en: We keep name and e-mail for a year}
  - id: hvorfor
    type: text
    text: {da: Hvorfor, en: Why}
"""


def write_survey(directory: Path, text: str = ALL_TYPES) -> Path:
    path = directory / "survey.yaml"
    path.write_text(text, encoding="utf-8")
    return path
