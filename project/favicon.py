from __future__ import annotations

from django.contrib.staticfiles.storage import staticfiles_storage
from django.http import FileResponse, HttpRequest
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe


@require_safe
@cache_control(max_age=7 * 24 * 3600, public=True)
def favicon(request: HttpRequest) -> FileResponse:
    """Browsers ask for /favicon.ico whatever the page links; answer it from the static
    files (collected in production) rather than with a 404 on every first visit."""
    return FileResponse(staticfiles_storage.open("favicon.ico"), content_type="image/x-icon")
