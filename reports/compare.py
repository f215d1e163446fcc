"""What changed between two versions of a document, paragraph by paragraph, with the
changed words marked.

Python's own difflib does both levels: SequenceMatcher over the lists of paragraphs finds
kept, inserted, deleted and replaced runs; over the words of a replaced pair it finds the
changed words. It is part of the standard library (no dependency to keep up to date) and
matches whole tokens, which is what a reader compares; diff-match-patch diffs characters
and needs a word-mode workaround to give the same result.

Everything a person wrote is escaped here, token by token, before the <del>/<ins> marks are
added: the result is the only markup on the page that comes from a file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from accounts.models import User
from documents.models import Document, DocumentVersion, Recommendation

from .models import VersionText

# Words (any script: ң ө ү are word characters), runs of spaces, single other characters.
TOKEN = re.compile(r"\w+|\s+|[^\w\s]")
WORD = re.compile(r"\w")
# A kept run this short, with no letter or digit, between two changes joins them.
SEPARATOR_MAX = 2
# Below this similarity a replaced paragraph reads better as one deleted and one new.
PAIR_RATIO = 0.4
# Unchanged paragraphs kept around a change; longer unchanged runs fold away.
CONTEXT = 1


@dataclass
class Row:
    kind: str  # "same", "changed", "inserted", "deleted"
    html: SafeString  # inline
    old_number: int | None = None
    new_number: int | None = None
    # Side by side: the paragraph as it was and as it is ("" where there is none).
    old_html: SafeString = field(default_factory=SafeString)
    new_html: SafeString = field(default_factory=SafeString)


@dataclass
class Fold:
    """A run of unchanged paragraphs, shown folded."""

    rows: list[Row]
    kind: str = "fold"


@dataclass
class Comparison:
    items: list[Row | Fold] = field(default_factory=list)
    changed: int = 0
    inserted: int = 0
    deleted: int = 0

    @property
    def identical(self) -> bool:
        return not (self.changed or self.inserted or self.deleted)


def _word_chunks(old: str, new: str) -> list[list]:
    """[changed?, old text, new text] runs of `old` turned into `new`, word by word."""
    a, b = TOKEN.findall(old), TOKEN.findall(new)
    # A space or a stray mark kept between two changes joins them, so that "two words"
    # replaced by "three new words" reads as one change, not a mosaic.
    chunks: list[list] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        chunks.append([tag != "equal", "".join(a[i1:i2]), "".join(b[j1:j2])])
    merged: list[list] = []
    for index, chunk in enumerate(chunks):
        between_changes = (
            not chunk[0]
            and len(chunk[1]) <= SEPARATOR_MAX
            and not WORD.search(chunk[1])
            and index < len(chunks) - 1
            and chunks[index + 1][0]
        )
        if (chunk[0] or between_changes) and merged and merged[-1][0]:
            merged[-1][1] += chunk[1]
            merged[-1][2] += chunk[2]
        else:
            merged.append(list(chunk))
    return merged


def words_diff(old: str, new: str) -> SafeString:
    """`old` turned into `new`, inline: removed words in <del>, added ones in <ins>."""
    parts = []
    for changed, old_text, new_text in _word_chunks(old, new):
        if not changed:
            parts.append(escape(old_text))
            continue
        if old_text:
            parts.append(f"<del>{escape(old_text)}</del>")
        if new_text:
            parts.append(f"<ins>{escape(new_text)}</ins>")
    return mark_safe("".join(parts))  # every piece escaped above


def words_sides(old: str, new: str) -> tuple[SafeString, SafeString]:
    """The same change side by side: `old` with its removed words in <del>, `new` with its
    added ones in <ins>."""
    left, right = [], []
    for changed, old_text, new_text in _word_chunks(old, new):
        if not changed:
            left.append(escape(old_text))
            right.append(escape(new_text))
            continue
        if old_text:
            left.append(f"<del>{escape(old_text)}</del>")
        if new_text:
            right.append(f"<ins>{escape(new_text)}</ins>")
    return mark_safe("".join(left)), mark_safe("".join(right))  # every piece escaped above


def _similar(old: str, new: str) -> bool:
    matcher = SequenceMatcher(None, TOKEN.findall(old), TOKEN.findall(new), autojunk=False)
    return matcher.ratio() >= PAIR_RATIO


def compare_paragraphs(old: list[str], new: list[str]) -> Comparison:
    result = Comparison()
    rows: list[Row] = []

    def deleted(i: int) -> None:
        html = mark_safe(f"<del>{escape(old[i])}</del>")
        rows.append(Row("deleted", html, old_number=i + 1, old_html=html))
        result.deleted += 1

    def inserted(j: int) -> None:
        html = mark_safe(f"<ins>{escape(new[j])}</ins>")
        rows.append(Row("inserted", html, new_number=j + 1, new_html=html))
        result.inserted += 1

    for tag, i1, i2, j1, j2 in SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag == "equal":
            for i, j in zip(range(i1, i2), range(j1, j2), strict=True):
                html = escape(old[i])
                rows.append(Row("same", html, i + 1, j + 1, old_html=html, new_html=html))
        elif tag == "delete":
            for i in range(i1, i2):
                deleted(i)
        elif tag == "insert":
            for j in range(j1, j2):
                inserted(j)
        else:  # replace: pair paragraphs in order while they still resemble each other
            pairs = min(i2 - i1, j2 - j1)
            for k in range(pairs):
                i, j = i1 + k, j1 + k
                if _similar(old[i], new[j]):
                    left, right = words_sides(old[i], new[j])
                    rows.append(
                        Row(
                            "changed",
                            words_diff(old[i], new[j]),
                            old_number=i + 1,
                            new_number=j + 1,
                            old_html=left,
                            new_html=right,
                        )
                    )
                    result.changed += 1
                else:
                    deleted(i)
                    inserted(j)
            for i in range(i1 + pairs, i2):
                deleted(i)
            for j in range(j1 + pairs, j2):
                inserted(j)
    result.items = _fold(rows)
    return result


def _fold(rows: list[Row]) -> list[Row | Fold]:
    """Keep CONTEXT unchanged paragraphs next to each change; fold longer unchanged runs."""
    items: list[Row | Fold] = []
    run: list[Row] = []

    def flush(at_end: bool) -> None:
        if not run:
            return
        head = [] if not items else run[:CONTEXT]
        tail = [] if at_end else run[-CONTEXT:]
        middle = run[len(head) : len(run) - len(tail)]
        if len(middle) <= 1:
            items.extend(run)
        else:
            items.extend(head)
            items.append(Fold(middle))
            items.extend(tail)
        run.clear()

    for row in rows:
        if row.kind == "same":
            run.append(row)
        else:
            flush(at_end=False)
            items.append(row)
    flush(at_end=True)
    return items


# Reads for the comparison page (a fixed number of queries: versions with their texts,
# the recommendations answered in between).


@dataclass
class VersionPair:
    document: Document
    versions: list[DocumentVersion]  # oldest first
    old: DocumentVersion
    new: DocumentVersion
    comparison: Comparison | None  # None while a version's text is still being extracted
    waiting: list[DocumentVersion] = field(default_factory=list)  # text not extracted yet
    title_diff: SafeString | None = None
    recommendations: list[Recommendation] = field(default_factory=list)
    # Versions whose file gave no text (a scanned image): nothing to compare word by word.
    textless: list[DocumentVersion] = field(default_factory=list)


def _text_of(version: DocumentVersion) -> VersionText | None:
    try:
        return version.text
    except VersionText.DoesNotExist:
        return None


def version_pair(
    *, user: User, document: Document, old_number: int | None, new_number: int | None
) -> VersionPair | None:
    """Two versions of `document` compared, for `user` (who may open the document), with
    the recommendations the author answered in between beside them, as far as `user` may
    see them (blind expertise: flows.selectors.reviews_visible_to). None when the document
    has fewer than two versions."""
    from flows.selectors import reviews_visible_to

    versions = list(document.versions.select_related("text").order_by("number"))
    if len(versions) < 2:
        return None
    by_number = {v.number: v for v in versions}
    new = by_number.get(new_number) or versions[-1]
    old = by_number.get(old_number)
    if old is None or old.number == new.number:
        earlier = [v for v in versions if v.number < new.number]
        old = earlier[-1] if earlier else versions[0]
        if old.number == new.number:
            old, new = versions[0], versions[1]
    if old.number > new.number:
        old, new = new, old
    old_text, new_text = _text_of(old), _text_of(new)
    waiting = [v for v, t in ((old, old_text), (new, new_text)) if t is None]
    pair = VersionPair(
        document=document,
        versions=versions,
        old=old,
        new=new,
        comparison=None
        if waiting
        else compare_paragraphs(old_text.paragraphs, new_text.paragraphs),
        waiting=waiting,
        title_diff=words_diff(old.title, new.title) if old.title != new.title else None,
        textless=[v for v, t in ((old, old_text), (new, new_text)) if t and not t.paragraphs],
    )
    pair.recommendations = list(
        Recommendation.objects.filter(
            review__in=reviews_visible_to(user, document),
            answered_in__number__gt=old.number,
            answered_in__number__lte=new.number,
        )
        .select_related("review__expert", "review__round", "answered_in")
        .order_by("review__round__number", "review__expert__last_name", "review_id", "number")
    )
    return pair
