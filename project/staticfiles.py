"""Static files: every installed app's, except those of apps whose pages are not served."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.staticfiles import finders


class AppDirectoriesFinder(finders.AppDirectoriesFinder):
    """Django's finder without the apps in ``STATICFILES_EXCLUDED_APPS``.

    viewflow ships ~90 MB of static files for its Material site (fonts, Dash, vis-network),
    which this project does not mount, and one of its stylesheets refers to font files the
    package does not contain, so manifest collectstatic cannot hash it. Leaving the folder
    out keeps the image small and the build passing; `tests/test_production_static.py`
    proves that every static file a page asks for is still collected."""

    def __init__(self, app_names: Any = None, *args: Any, **kwargs: Any) -> None:
        excluded = set(getattr(settings, "STATICFILES_EXCLUDED_APPS", []))
        if app_names is None:
            app_names = [c.name for c in apps.get_app_configs() if c.name not in excluded]
        super().__init__(app_names, *args, **kwargs)
