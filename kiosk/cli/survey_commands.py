"""``kiosk validate`` and ``kiosk schema``: the organiser's checks before an event."""

from __future__ import annotations

import sys

import click


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path())
def validate(files: tuple[str, ...]) -> None:
    """Check survey files and report every problem, each as FILE:LINE: field: what is wrong.

    Exits 0 when every file is valid, 1 otherwise. Warnings (FILE:LINE: field: warning:
    ...) point at what is allowed but probably not meant; they do not change the exit code.

    \b
    Example:
        kiosk validate surveys/*.yaml
    """
    from kiosk.survey import validate_file

    failed = 0
    for name in files:
        report = validate_file(name)
        for warning in report.warnings:
            where = f"{warning.path}: " if warning.path else ""
            click.echo(
                f"{warning.file}:{warning.line}: {where}warning: {warning.message}", err=True
            )
        if report.ok:
            click.echo(report.summary())
            continue
        failed += 1
        for problem in report.problems:
            click.echo(str(problem), err=True)
        count = len(report.problems)
        click.echo(f"{name}: {count} problem{'s' if count != 1 else ''}", err=True)
    if failed:
        sys.exit(1)


@click.command()
def schema() -> None:
    """Print the JSON Schema of survey files, for editor completion.

    \b
    Example (YAML language server, e.g. VS Code's YAML extension):
        kiosk schema > survey.schema.json
        # first line of a survey file:
        # yaml-language-server: $schema=./survey.schema.json
    """
    from kiosk.survey.schema import survey_json_schema_text

    click.echo(survey_json_schema_text(), nl=False)
