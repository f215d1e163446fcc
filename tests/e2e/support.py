"""What the browser tests share: Debian's Chromium and the Kyrgyz strings they check."""

from __future__ import annotations

from pathlib import Path

from django.utils import translation
from django.utils.translation import gettext

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


class Kyrgyz:
    """The Kyrgyz text of msgids (or lazy labels), remembering each one it was asked for so
    the test can demand at the end that every one of them is actually translated."""

    def __init__(self) -> None:
        self.asked: dict[str, str] = {}

    def __call__(self, msgid) -> str:
        if isinstance(msgid, str):  # a msgid
            english = msgid
            with translation.override("ky"):
                text = gettext(msgid)
        else:  # a lazy label (choices), e.g. Stage.RECOMMENDED.label
            with translation.override("en"):
                english = str(msgid)
            with translation.override("ky"):
                text = str(msgid)
        self.asked[english] = text
        return text

    def untranslated(self) -> list[str]:
        return sorted(msgid for msgid, text in self.asked.items() if text == msgid)
