"""What the production tests share: free ports, polling, a small HTTP client that keeps
its cookies itself (so that it can play a TLS proxy's client over plain HTTP), and
processes started in their own process group and stopped with it."""

from __future__ import annotations

import contextlib
import html
import http.client
import os
import re
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(
    condition: Callable[[], object],
    what: str,
    timeout: float = 60,
    explain: Callable[[], str] = str,
    every: float = 0.2,
) -> object:
    """Poll `condition` until it is true; fail with `explain()` (a log) at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {timeout} s\n{explain()}")
        time.sleep(every)


class Service:
    """A command in its own process group, its output in a log file."""

    def __init__(
        self, name: str, args: list[str], *, env: dict[str, str], log: Path, cwd: Path = ROOT
    ) -> None:
        self.name = name
        self.log = log
        self._out = log.open("ab")
        self.process = subprocess.Popen(
            args,
            cwd=cwd,
            env=env,
            stdout=self._out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def running(self) -> bool:
        return self.process.poll() is None

    def output(self, tail: int = 6000) -> str:
        text = self.log.read_text(errors="replace")
        return f"--- {self.name} ({self.log}) ---\n{text[-tail:]}"

    def stop(self, timeout: float = 20) -> None:
        """SIGTERM to the group (a clean stop), then SIGKILL to whatever is left of it."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=timeout)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        self._out.close()


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def header(self, name: str) -> str:
        return self.headers.get(name, "")


class Browser:
    """One user's session over plain HTTP. Cookies are kept by hand, Secure ones too,
    because in the compose replay this client stands where the TLS proxy would."""

    def __init__(self, base_url: str, headers: dict[str, str] | None = None) -> None:
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.headers = headers or {}
        self.cookies: dict[str, str] = {}

    def request(
        self, method: str, path: str, body: bytes | None = None, content_type: str = ""
    ) -> Response:
        connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
        headers = dict(self.headers)
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if content_type:
            headers["Content-Type"] = content_type
        if method == "POST" and "csrftoken" in self.cookies:
            headers["Referer"] = f"https://{self.headers.get('Host', self.host)}{path}"
        try:
            connection.request(method, path, body=body, headers=headers)
            raw = connection.getresponse()
            response = Response(raw.status, raw.headers, raw.read())
        finally:
            connection.close()
        for value in response.headers.get_all("Set-Cookie") or []:
            cookie = SimpleCookie()
            cookie.load(value)
            for key, morsel in cookie.items():
                self.cookies[key] = morsel.value
        return response

    def get(self, path: str) -> Response:
        return self.request("GET", path)

    def csrf(self, page: Response) -> str:
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        assert match, f"no CSRF token in the page ({page.status})"
        return match.group(1)

    def post_form(self, path: str, fields: dict[str, str], token: str) -> Response:
        body = urlencode({**fields, "csrfmiddlewaretoken": token}).encode()
        return self.request("POST", path, body, "application/x-www-form-urlencoded")

    def post_multipart(
        self,
        path: str,
        fields: dict[str, str],
        files: dict[str, tuple[str, bytes, str]],
        token: str,
    ) -> Response:
        boundary = uuid.uuid4().hex
        chunks: list[bytes] = []
        for name, value in {**fields, "csrfmiddlewaretoken": token}.items():
            chunks.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                f"{value}\r\n".encode()
            )
        for name, (filename, content, mime) in files.items():
            chunks.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                f'filename="{filename}"\r\nContent-Type: {mime}\r\n\r\n'.encode()
                + content
                + b"\r\n"
            )
        chunks.append(f"--{boundary}--\r\n".encode())
        return self.request(
            "POST", path, b"".join(chunks), f"multipart/form-data; boundary={boundary}"
        )

    def log_in(self, username: str, password: str) -> None:
        page = self.get("/login/")
        assert page.status == 200, page.status
        response = self.post_form(
            "/login/", {"username": username, "password": password}, self.csrf(page)
        )
        assert response.status == 302, f"login of {username}: {response.status}"


def first_option(page: Response, field: str) -> str:
    """The first non-empty <option> of a <select name=field>."""
    select = re.search(rf'<select name="{field}"[^>]*>(.*?)</select>', page.text, re.S)
    assert select, f"no select {field}"
    values = [html.unescape(v) for v in re.findall(r'<option value="([^"]+)"', select.group(1))]
    assert values, f"no options in {field}"
    return values[0]


def submit_document(browser: Browser, title: str, pdf: bytes) -> Response:
    """A teacher creates a document with a PDF and submits it for expertise, as the form
    in the browser does."""
    page = browser.get("/documents/new/")
    assert page.status == 200, page.status
    fields = {
        "doc_type": "development_program",
        "title": title,
        "academic_year": first_option(page, "academic_year"),
        "methodical_association": first_option(page, "methodical_association"),
        "description": "",
        "submit": "1",
    }
    return browser.post_multipart(
        "/documents/new/",
        fields,
        {"upload": ("plan.pdf", pdf, "application/pdf")},
        browser.csrf(page),
    )
