"""E-mail: the SMTP conversation done by hand, over one connection kept per worker process.

Why not Django's SMTP backend: it opens a connection per message unless told otherwise,
and it cannot tell "refused before DATA" (safe to retry) from "the whole message went out
and no answer came" (it may have arrived). Here each phase is separate, so a timeout after
the end of DATA is reported as UNKNOWN, and the reply to DATA may take longer than the
other commands (RFC 5321 4.5.3.2.6 asks clients to wait long for it, precisely so that
slow servers do not get duplicates). Other backends (console, file, locmem in `make run`
and tests) go through Django's `send_messages`."""

from __future__ import annotations

import base64
import logging
import re
import smtplib
import socket
import ssl
import threading
import time
import uuid
from email.utils import formatdate

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.message import sanitize_address
from django.utils.encoding import force_str

from ..models import Delivery, Notification
from ..rendering import Message, render_digest, render_message
from . import SENT, Outcome, Result

logger = logging.getLogger(__name__)

SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
# A kept connection idle for longer than this is closed rather than trusted: servers drop
# idle clients (Postfix after 300 s), and a dead one costs a reconnect anyway.
IDLE_SECONDS = 60.0
# A line starting with "." is sent with one more (RFC 5321 4.5.2 transparency).
LEADING_DOT = re.compile(rb"(?m)^\.")


def message_id(delivery: Delivery) -> str:
    """The same for every attempt of a delivery: a re-sent message is recognisably the
    same one (receiving servers and mail clients can fold the copies)."""
    return f"<delivery-{delivery.pk}@{settings.NOTIFICATIONS_MAIL_DOMAIN}>"


def compose(delivery: Delivery) -> Message | None:
    if delivery.channel != Delivery.Channel.DIGEST:
        return render_message(delivery.notification)
    # The digest takes its items at its first attempt and keeps them, so a retry sends the
    # same digest and no item is ever in two digests.
    Notification.objects.filter(
        recipient_id=delivery.recipient_id,
        in_digest=True,
        digest_delivery__isnull=True,
        created_at__lt=delivery.created_at,
    ).update(digest_delivery=delivery)
    items = list(Notification.objects.filter(digest_delivery=delivery).order_by("created_at"))
    if not items:
        return None
    return render_digest(delivery.recipient, items)


def build(delivery: Delivery, message: Message) -> EmailMultiAlternatives:
    email_message = EmailMultiAlternatives(
        subject=message.subject,
        body=message.text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[delivery.recipient.email],
        headers={"Message-ID": message_id(delivery)},
    )
    email_message.attach_alternative(message.html, "text/html")
    return email_message


# RFC 2047 encoded words of at most this many UTF-8 bytes (52 base64 characters): with
# "=?utf-8?b?…?=" and "Subject: " a line stays within 78 columns.
WORD_BYTES = 39
# RFC 5321 4.5.3.1.6: a line is at most 998 octets; a longer one goes base64-encoded.
LONG_LINE = re.compile(rb"[^\n]{998}")


def subject_header(value: str) -> bytes:
    """The Subject: ASCII as is when short, otherwise encoded words folded between
    characters (never an empty first line, so readers show no leading space)."""
    name = "Subject"
    value = " ".join(value.split())
    if value.isascii() and len(name) + 2 + len(value) <= 78:
        return f"{name}: {value}\r\n".encode("ascii")
    words, chunk, size = [], [], 0
    for char in value:
        width = len(char.encode())
        if size + width > WORD_BYTES:
            words.append("".join(chunk))
            chunk, size = [], 0
        chunk.append(char)
        size += width
    words.append("".join(chunk))
    encoded = [f"=?utf-8?b?{base64.b64encode(word.encode()).decode('ascii')}?=" for word in words]
    return f"{name}: ".encode() + "\r\n ".join(encoded).encode("ascii") + b"\r\n"


def part(subtype: str, text: str) -> bytes:
    body = text.replace("\r\n", "\n").encode()
    if LONG_LINE.search(body):
        encoding, body = "base64", base64.encodebytes(body)
    else:
        encoding = "8bit"
    # The line break before the next boundary belongs to the boundary (RFC 2046 5.1.1).
    body += b"\n"
    return (
        f'Content-Type: text/{subtype}; charset="utf-8"\r\n'
        f"Content-Transfer-Encoding: {encoding}\r\n\r\n".encode("ascii")
        + body.replace(b"\n", b"\r\n")
    )


def wire(delivery: Delivery, message: Message, sender: str, recipient: str) -> bytes:
    """The message as sent over SMTP, written directly: a multipart/alternative (text and
    HTML, UTF-8, 8bit) with the headers Django would give it. Building it through
    `email.mime` and Django's EmailMessage took half of a send's CPU; a notice needs none
    of their generality (no attachments, one recipient, fixed headers)."""
    boundary = f"=_{uuid.uuid4().hex}"
    return b"".join(
        [
            b"MIME-Version: 1.0\r\n",
            f'Content-Type: multipart/alternative; boundary="{boundary}"\r\n'.encode(),
            subject_header(message.subject),
            # Addresses as sanitize_address gives them: ASCII, a name already encoded.
            f"From: {sender}\r\nTo: {recipient}\r\n".encode("ascii"),
            f"Date: {formatdate(localtime=settings.EMAIL_USE_LOCALTIME)}\r\n".encode(),
            f"Message-ID: {message_id(delivery)}\r\n\r\n".encode(),
            f"--{boundary}\r\n".encode(),
            part("plain", message.text),
            f"--{boundary}\r\n".encode(),
            part("html", message.html),
            f"--{boundary}--\r\n".encode(),
        ]
    )


def is_permanent_code(code: int) -> bool:
    return code >= 500


class SmtpLink:
    """One SMTP connection of this worker process, reused across messages and tasks."""

    def __init__(self) -> None:
        self.smtp: smtplib.SMTP | None = None
        self.key: tuple = ()
        self.last_used = 0.0

    def config(self) -> tuple:
        return (
            settings.EMAIL_HOST,
            settings.EMAIL_PORT,
            settings.EMAIL_HOST_USER,
            settings.EMAIL_USE_TLS,
            getattr(settings, "EMAIL_USE_SSL", False),
        )

    def get(self) -> smtplib.SMTP:
        key = self.config()
        stale = time.monotonic() - self.last_used > IDLE_SECONDS
        if self.smtp is not None and (key != self.key or stale):
            self.close()
        if self.smtp is None:
            host, port, user, use_tls, use_ssl = key
            timeout = settings.EMAIL_TIMEOUT
            if use_ssl:
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    host, port, timeout=timeout, context=ssl.create_default_context()
                )
            else:
                smtp = smtplib.SMTP(host, port, timeout=timeout)
            try:
                smtp.ehlo()
                if use_tls:
                    smtp.starttls(context=ssl.create_default_context())
                    smtp.ehlo()
                if user:
                    smtp.login(user, settings.EMAIL_HOST_PASSWORD)
            except BaseException:
                smtp.close()
                raise
            self.smtp, self.key = smtp, key
        self.last_used = time.monotonic()
        return self.smtp

    def close(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (smtplib.SMTPException, OSError):
                self.smtp.close()
            self.smtp = None


_links = threading.local()


def kept_link() -> SmtpLink:
    """This thread's SMTP connection (a task's batch may be sent by several threads)."""
    link = getattr(_links, "link", None)
    if link is None:
        link = _links.link = SmtpLink()
    return link


class DataUnanswered(Exception):
    """The message went out to its final dot; the server's answer did not come."""


def smtp_send(link: SmtpLink, sender: str, recipient: str, data: bytes) -> tuple[int, str]:
    """MAIL, RCPT, DATA on the kept connection; returns the reply to the end of DATA.

    Raises DataUnanswered when the failure came after the whole message was written,
    smtplib's errors (with the server's code) before that."""
    smtp = link.get()
    options = ["BODY=8BITMIME"] if smtp.has_extn("8bitmime") else []
    code, reply = smtp.mail(sender, options)
    if code != 250:
        end_transaction(link, code)
        raise smtplib.SMTPSenderRefused(code, reply, sender)
    code, reply = smtp.rcpt(recipient)
    if code not in (250, 251):
        end_transaction(link, code)
        raise smtplib.SMTPRecipientsRefused({recipient: (code, reply)})
    code, reply = smtp.docmd("data")
    if code != 354:
        end_transaction(link, code)
        raise smtplib.SMTPDataError(code, reply)
    body = LEADING_DOT.sub(b"..", data)
    if not body.endswith(b"\r\n"):
        body += b"\r\n"
    smtp.send(body + b".\r\n")
    assert smtp.sock is not None
    smtp.sock.settimeout(settings.NOTIFICATIONS_SMTP_DATA_TIMEOUT)
    try:
        code, reply = smtp.getreply()
    except (OSError, smtplib.SMTPServerDisconnected) as error:
        link.close()
        raise DataUnanswered(f"{type(error).__name__}: {error}") from error
    finally:
        if smtp.sock is not None:
            smtp.sock.settimeout(settings.EMAIL_TIMEOUT)
    if code == 421:
        link.close()
    return code, force_str(reply, errors="replace")


def end_transaction(link: SmtpLink, code: int) -> None:
    """After a refusal: RSET to go on with the next message, or, on 421 (the server is
    closing the channel), drop the connection as smtplib does."""
    if code == 421:
        link.close()
    else:
        link.get().rset()


class EmailSender:
    """Sends deliveries of the e-mail and digest channels."""

    def __init__(self) -> None:
        self.smtp = settings.EMAIL_BACKEND == SMTP_BACKEND
        self.backend = None

    def __enter__(self) -> EmailSender:
        if not self.smtp:
            self.backend = get_connection(fail_silently=False)
        return self

    def __exit__(self, *exc: object) -> None:
        pass  # the SMTP link stays open for the next task of this process

    def prepare(self, delivery: Delivery) -> Result | EmailMultiAlternatives | tuple:
        """The message rendered and serialised, ready for `send`."""
        message = compose(delivery)
        if message is None:
            return SENT  # a digest whose items all went elsewhere: nothing to send
        if not self.smtp:
            return build(delivery, message)
        sender = sanitize_address(settings.DEFAULT_FROM_EMAIL, "utf-8")
        recipient = sanitize_address(delivery.recipient.email, "utf-8")
        return sender, recipient, wire(delivery, message, sender, recipient)

    def send(self, delivery: Delivery, prepared: object) -> Result:
        if isinstance(prepared, Result):
            return prepared
        if not self.smtp:
            try:
                self.backend.send_messages([prepared])
            except Exception as error:
                return failure(error)
            return SENT
        sender, recipient, data = prepared
        link = kept_link()
        for attempt in (1, 2):
            try:
                code, reply = smtp_send(link, sender, recipient, data)
            except DataUnanswered as error:
                return Result(Outcome.UNKNOWN, str(error))
            except smtplib.SMTPServerDisconnected as error:
                # A kept connection the server had closed: reconnect once (nothing of this
                # message reached the server, so this is no duplicate).
                link.close()
                if attempt == 1:
                    continue
                return failure(error, stop_batch=True)
            except (OSError, smtplib.SMTPConnectError) as error:
                link.close()
                return failure(error, stop_batch=True)
            except Exception as error:
                return failure(error)
            if code == 250:
                return SENT
            error_text = f"SMTPDataError: ({code}, {reply!r})"
            outcome = Outcome.FAILED if is_permanent_code(code) else Outcome.RETRY
            return Result(outcome, error_text, stop_batch=code == 421)
        raise AssertionError("unreachable")


def failure(error: Exception, *, stop_batch: bool = False) -> Result:
    text = f"{type(error).__name__}: {error}"
    permanent = False
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        permanent = all(is_permanent_code(code) for code, _msg in error.recipients.values())
    elif isinstance(error, smtplib.SMTPResponseException):
        permanent = is_permanent_code(error.smtp_code)
    if isinstance(error, socket.timeout | ConnectionError):
        stop_batch = True
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        stop_batch = stop_batch or any(c == 421 for c, _m in error.recipients.values())
    elif isinstance(error, smtplib.SMTPResponseException):
        stop_batch = stop_batch or error.smtp_code == 421
    return Result(Outcome.FAILED if permanent else Outcome.RETRY, text, stop_batch=stop_batch)
