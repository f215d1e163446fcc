"""Read the forms of a rendered page as a browser would submit them."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class PageForm:
    method: str
    action: str
    # name -> values, as the browser sends them (checked boxes, selected options, …)
    data: dict[str, list[str]] = field(default_factory=dict)
    # every field name, sent or not (an unchecked box, a submit button, a file input)
    names: set[str] = field(default_factory=set)
    files: set[str] = field(default_factory=set)
    # name -> the values offered by a <select> or a group of radios/checkboxes
    choices: dict[str, list[str]] = field(default_factory=dict)
    # name -> the input's type ("date", "number", "select", "textarea", …)
    types: dict[str, str] = field(default_factory=dict)

    def post_data(self) -> dict[str, list[str]]:
        return {name: list(values) for name, values in self.data.items()}


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[PageForm] = []
        self._form: PageForm | None = None
        self._select: str | None = None
        self._select_chosen: list[str] = []
        self._select_first: str | None = None
        self._textarea: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._form = PageForm(method=a.get("method", "get").lower(), action=a.get("action", ""))
            self.forms.append(self._form)
            return
        form = self._form
        if form is None or not a.get("name"):
            if tag == "option" and form is not None and self._select is not None:
                self._option(a)
            return
        name = a["name"]
        if tag == "input":
            kind = a.get("type", "text").lower()
            form.names.add(name)
            form.types.setdefault(name, kind)
            if kind == "file":
                form.files.add(name)
            elif kind in ("checkbox", "radio"):
                form.choices.setdefault(name, []).append(a.get("value", "on"))
                if "checked" in a:
                    form.data.setdefault(name, []).append(a.get("value", "on"))
            elif kind in ("submit", "button", "image", "reset"):
                form.choices.setdefault(name, []).append(a.get("value", ""))
            else:
                form.data.setdefault(name, []).append(a.get("value", ""))
        elif tag == "select":
            form.names.add(name)
            form.types.setdefault(name, "select")
            self._select, self._select_chosen, self._select_first = name, [], None
            self._select_multiple = "multiple" in a
            form.choices.setdefault(name, [])
        elif tag == "textarea":
            form.names.add(name)
            form.types.setdefault(name, "textarea")
            self._textarea, self._text = name, []
        elif tag == "button":
            form.names.add(name)
            form.types.setdefault(name, "button")
            form.choices.setdefault(name, []).append(a.get("value", ""))

    def _option(self, a: dict[str, str]) -> None:
        assert self._form is not None and self._select is not None
        value = a.get("value", "")
        self._form.choices[self._select].append(value)
        if self._select_first is None:
            self._select_first = value
        if "selected" in a:
            self._select_chosen.append(value)

    def handle_endtag(self, tag: str) -> None:
        form = self._form
        if tag == "form":
            self._form = None
        elif tag == "select" and form is not None and self._select is not None:
            chosen = self._select_chosen
            if not chosen and not self._select_multiple and self._select_first is not None:
                chosen = [self._select_first]
            if chosen:
                form.data[self._select] = chosen
            self._select = None
        elif tag == "textarea" and form is not None and self._textarea is not None:
            form.data.setdefault(self._textarea, []).append("".join(self._text).lstrip("\n"))
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text.append(data)


def page_forms(html: str | bytes) -> list[PageForm]:
    parser = _FormParser()
    parser.feed(html.decode() if isinstance(html, bytes) else html)
    return parser.forms


def admin_form(html: str | bytes) -> PageForm:
    """The change form of a Django admin page (the one with a csrf token and the most
    fields)."""
    forms = [f for f in page_forms(html) if f.method == "post"]
    return max(forms, key=lambda f: len(f.names))
