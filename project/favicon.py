from __future__ import annotations

from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.http import FileResponse, Http404, HttpRequest
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

NAME = "favicon.ico"


@require_safe
@cache_control(max_age=7 * 24 * 3600, public=True)
def favicon(request: HttpRequest) -> FileResponse:
    """Browsers ask for /favicon.ico whatever the page links; answer it from the static
    files (collected in production, found in the source folders before collectstatic)
    rather than with a 404 on every first visit."""
    if staticfiles_storage.exists(NAME):
        return FileResponse(staticfiles_storage.open(NAME), content_type="image/x-icon")
    found = finders.find(NAME)
    if not found:
        raise Http404
    return FileResponse(open(found, "rb"), content_type="image/x-icon")
