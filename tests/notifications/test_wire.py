"""The e-mail as written on the SMTP connection (`channels.email.wire`), read back by the
standard library's parser as a mail client would."""

from __future__ import annotations

import email
import email.policy

from django.core.mail.message import sanitize_address

from notifications.channels.email import LEADING_DOT, wire
from notifications.models import Delivery
from notifications.rendering import Message


def read_back(
    message: Message, *, sender: str = "Кеңеш <council@school.kg>"
) -> email.message.EmailMessage:
    data = wire(
        Delivery(pk=41),
        message,
        sanitize_address(sender, "utf-8"),
        sanitize_address("aigul@example.org", "utf-8"),
    )
    assert b"\n" not in data.replace(b"\r\n", b"")  # CRLF only
    assert all(len(line) <= 998 for line in data.split(b"\r\n"))
    return email.message_from_bytes(data, policy=email.policy.default)


def test_a_kyrgyz_notice_reads_back_whole_with_its_headers(settings):
    settings.NOTIFICATIONS_MAIL_DOMAIN = "council.local"
    subject = "Жаңы тапшырма: «Математика боюнча ачык сабактын иштелмеси» ‒ эксперттик баа ңөү"
    text = "Саламатсызбы!\n.Чекит менен башталган сап\nhttps://council.example.org/tasks/7/\n"
    html = '<p>Саламатсызбы!</p>\n<a href="https://council.example.org/tasks/7/">Ачуу</a>'
    message = read_back(Message(subject=subject, text=text, html=html))
    assert message["Subject"] == subject  # no leading space, no lost character
    assert all(len(line) <= 78 for line in message.as_string().splitlines()[:12])
    assert message["Message-ID"] == "<delivery-41@council.local>"
    assert message["To"] == "aigul@example.org"
    (sender,) = message["From"].addresses
    assert (sender.display_name, sender.addr_spec) == ("Кеңеш", "council@school.kg")
    assert message["Date"].datetime is not None
    assert message.get_content_type() == "multipart/alternative"
    assert message.get_body(("plain",)).get_content().replace("\r\n", "\n") == text
    assert message.get_body(("html",)).get_content().replace("\r\n", "\n") == html


def test_a_short_ascii_subject_stays_plain_and_a_very_long_line_is_encoded():
    long_line = "ж" * 700  # 1,400 bytes: over SMTP's 998-octet line limit
    message = read_back(Message(subject="Digest", text=long_line, html="<p>x</p>"))
    assert message["Subject"] == "Digest"
    plain = message.get_body(("plain",))
    assert plain["Content-Transfer-Encoding"] == "base64"
    assert plain.get_content().strip() == long_line


def test_dot_stuffing_leaves_a_line_starting_with_a_dot_intact():
    data = wire(Delivery(pk=1), Message("s", ".a\n..b\n", "<p>x</p>"), "a@b.kg", "c@d.kg")
    stuffed = LEADING_DOT.sub(b"..", data)
    assert b"\r\n..a\r\n...b\r\n" in stuffed
