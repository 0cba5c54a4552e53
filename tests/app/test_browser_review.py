"""A design review in a real Chromium: build it, set statuses and notes, save it, load it in a new session,
update it. Every status and note survives, and the form shows the loaded description and ticks.

Uses the server and browser of tests/app/test_browser.py (the real corpus when SAIGE_CORPUS_DIR is set, else
the generated one). No timing assertions: every wait is for content, with generous timeouts.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.app.test_browser import browser, served_settings, server, settle, shot, tick  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DESCRIPTION = "A public API in front of an agent that files support tickets, using a hosted model."
FIRST = ("Protect your model continuously", "in place", "Rate limits on the query API; owner: platform")
SECOND = ("Monitor your system's behaviour", "not applicable", "Covered by the SOC runbook 12")


@pytest.fixture
def review_page(browser: Any, server: str) -> Any:  # noqa: F811
    context = browser.new_context(viewport={"width": 1440, "height": 1400}, accept_downloads=True)
    pg = context.new_page()
    pg.set_default_timeout(240_000)
    try:
        yield pg
    finally:
        context.close()


def open_review_tab(page: Any, server: str) -> Any:  # noqa: F811
    page.goto(server)
    page.get_by_text("The lifecycle at a glance").wait_for()
    page.get_by_role("tab", name="Design review").click()
    page.get_by_label("System description").wait_for()
    return page.get_by_test_id("stMain")


def plain(text: str) -> str:
    """The real PDF prints a typographic apostrophe ("system’s"); the generated corpus a straight one."""
    return text.replace("\u2019", "'")


def group(main: Any, heading: str) -> Any:
    either_apostrophe = re.compile(re.escape(heading).replace("'", "['\u2019]"))
    return main.locator("[data-testid=stExpander]").filter(has_text=either_apostrophe).first


def open_group(page: Any, main: Any, heading: str) -> Any:
    panel = group(main, heading)
    panel.scroll_into_view_if_needed()
    for _ in range(20):  # a rerun finishing under load can re-render it closed: open until controls show
        if panel.locator("[data-testid=stRadioOption]:visible").count():
            return panel
        panel.locator("summary").first.click()
        settle(page)
    raise AssertionError(f"the panel of {heading!r} did not open")


def set_first_control(page: Any, main: Any, heading: str, status: str, notes: str) -> None:
    panel = open_group(page, main, heading)
    panel.locator("[data-testid=stRadioOption]:visible").filter(has_text=status).first.click()
    settle(page)
    box = panel.get_by_label("Notes").first
    box.fill(notes)
    box.press("Enter")
    settle(page)


def download(page: Any, label: str) -> str:
    with page.expect_download() as info:
        page.get_by_role("button", name=label).click()
    return Path(info.value.path()).read_text(encoding="utf-8")


def statuses(csv_text: str) -> dict[tuple[str, str], tuple[str, str]]:
    """(guideline, id) -> (status, notes) of the controls that have a status or notes (the statements: the
    linked controls and example measures listed with them carry no status)."""
    rows = csv.DictReader(io.StringIO(csv_text))
    return {
        (plain(r["guideline"]), r["id"]): (r["status"], r["notes"])
        for r in rows
        if r["kind"] == "statement" and (r["status"] != "not started" or r["notes"])
    }


def test_review_survives_save_load_and_update(review_page: Any, server: str, tmp_path: Path) -> None:  # noqa: F811
    page = review_page
    main = open_review_tab(page, server)
    settle(page)  # a tick given while the tab's rerun is still drawing the form can be lost
    page.get_by_label("System description").fill(DESCRIPTION)
    for trait in ("Offers a public API", "Agents take actions"):
        tick(page, trait)
    page.get_by_role("button", name="Build review").click()
    page.get_by_text("strongly apply").first.wait_for()
    settle(page)
    for heading, status, notes in (FIRST, SECOND):
        set_first_control(page, main, heading, status, notes)
    page.get_by_text("1 in place").first.wait_for()
    page.get_by_text("1 not applicable").first.wait_for()
    shot(page, "review-01-built")
    built = statuses(download(page, "Export CSV"))
    assert {(g, s, n) for (g, _), (s, n) in built.items()} == {FIRST, SECOND}
    assert all(plain(i).startswith(g) for g, i in built)  # ids are the documents' own, not hashes
    total = json.loads(download(page, "Save review (.json)"))
    saved = tmp_path / "saved-review.json"
    saved.write_text(json.dumps(total), encoding="utf-8")
    n_controls = sum(len(g["controls"]) for g in total["guidelines"])

    # a new session (a reload): load the saved file
    main = open_review_tab(page, server)
    page.get_by_role("button", name="Load a saved review (.json)").click()
    page.locator("input[type=file]").first.set_input_files(str(saved))
    page.get_by_text("Loaded saved-review.json").first.wait_for()
    settle(page)
    page.keyboard.press("Escape")
    assert page.get_by_label("System description").input_value() == DESCRIPTION
    assert page.get_by_role("checkbox", name="Offers a public API").is_checked()
    assert page.get_by_role("checkbox", name="Agents take actions").is_checked()
    assert not page.get_by_role("checkbox", name="Fine-tunes or trains models").is_checked()
    page.get_by_text("1 in place").first.wait_for()
    panel = open_group(page, main, FIRST[0])
    assert panel.get_by_label("Notes").first.input_value() == FIRST[2]
    shot(page, "review-02-loaded")
    assert statuses(download(page, "Export CSV")) == built

    # update the loaded review with one trait fewer: nothing is lost
    tick(page, "Agents take actions", on=False)
    page.get_by_role("button", name="Update review").click()
    settle(page)
    page.get_by_text("1 not applicable").first.wait_for()
    assert not page.get_by_role("checkbox", name="Agents take actions").is_checked()
    assert page.get_by_label("System description").input_value() == DESCRIPTION
    updated = json.loads(download(page, "Save review (.json)"))
    assert sum(len(g["controls"]) for g in updated["guidelines"]) == n_controls
    assert statuses(download(page, "Export CSV")) == built
    shot(page, "review-03-updated")
