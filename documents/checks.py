"""System checks of official papers (documents.E001…): the signing certificate and the
address the QR codes point at."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from django.conf import settings
from django.core.checks import Error, Warning, register

LOOPBACK = {"localhost", "127.0.0.1", "::1", "0.0.0.0"}  # noqa: S104


@register()
def check_signing_certificate(app_configs: Any = None, **kwargs: Any) -> list:
    """A configured certificate that cannot be opened stops every paper from being issued:
    an error wherever the checks run."""
    from .signing import SigningError, configured_signer, signing_configured

    if not signing_configured():
        return []
    try:
        configured_signer()
    except SigningError as exc:
        return [
            Error(
                f"Official papers cannot be signed: {exc}.",
                hint="Fix PAPERS_SIGNING_PKCS12 / PAPERS_SIGNING_PASSWORD, or unset both "
                "to issue unsigned papers.",
                id="documents.E001",
            )
        ]
    return []


@register(deploy=True)
def check_papers_in_production(app_configs: Any = None, **kwargs: Any) -> list:
    """What a production deployment should not run with (`check --deploy`)."""
    from .signing import signing_configured

    problems: list = []
    if not signing_configured() and not settings.DEBUG:
        problems.append(
            Warning(
                "Official papers are issued without an electronic signature.",
                hint="Set PAPERS_SIGNING_PKCS12 and PAPERS_SIGNING_PASSWORD to the school's "
                "certificate (README: verification and signing).",
                id="documents.W001",
            )
        )
    host = urlparse(settings.SITE_URL).hostname or ""
    if not settings.DEBUG and (not host or host in LOOPBACK):
        problems.append(
            Warning(
                f"SITE_URL is {settings.SITE_URL!r}: the QR codes on official papers and the "
                "links in e-mails would lead nowhere outside this machine.",
                hint="Set SITE_URL to the address people reach the site at.",
                id="documents.W002",
            )
        )
    return problems
