"""`manage.py papers_certificate`: a self-signed school certificate for a trial of signed
papers. A real deployment uses a certificate issued to the school (see README)."""

from __future__ import annotations

import datetime
import os
import secrets
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from django.core.management.base import BaseCommand, CommandError, CommandParser


def self_signed_pkcs12(*, name: str, password: str, days: int, country: str = "KG") -> bytes:
    """A PKCS#12 archive: an RSA key and a self-signed certificate for signing documents."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, country),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, name),
            x509.NameAttribute(NameOID.COMMON_NAME, name),
        ]
    )
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,  # non-repudiation: the school stands by the paper
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return pkcs12.serialize_key_and_certificates(
        name=name.encode(),
        key=key,
        cert=certificate,
        cas=None,
        encryption_algorithm=serialization.BestAvailableEncryption(password.encode()),
    )


class Command(BaseCommand):
    help = "Create a self-signed school certificate (PKCS#12) for signing official papers."
    # Run before the certificate is configured: the check that asks for one is no news.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", required=True, help="where to write the .p12 file")
        parser.add_argument("--name", required=True, help="the school, as the signature shows")
        parser.add_argument(
            "--password",
            default="",
            help="the file's password (default: PAPERS_SIGNING_PASSWORD, else a new one)",
        )
        parser.add_argument("--days", type=int, default=3 * 365)
        parser.add_argument("--force", action="store_true", help="overwrite an existing file")

    def handle(self, *args: Any, **options: Any) -> None:
        out = Path(options["out"])
        if out.exists() and not options["force"]:
            raise CommandError(f"{out} exists; pass --force to replace it.")
        if not 1 <= len(options["name"].strip().encode()) <= 64:
            # X.509 caps a common name at 64 bytes of UTF-8 (about 35 Cyrillic letters).
            raise CommandError("--name must be 1 to 64 bytes long in UTF-8.")
        if options["days"] < 1:
            raise CommandError("--days must be at least 1.")
        password = (
            options["password"]
            or os.environ.get("PAPERS_SIGNING_PASSWORD", "")
            or secrets.token_urlsafe(18)
        )
        data = self_signed_pkcs12(
            name=options["name"].strip(), password=password, days=options["days"]
        )
        out.parent.mkdir(parents=True, exist_ok=True)
        # The key signs in the school's name: readable by the service's user only.
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        self.stdout.write(f"Wrote {out}.")
        self.stdout.write(f"PAPERS_SIGNING_PKCS12={out.resolve()}")
        if not options["password"] and not os.environ.get("PAPERS_SIGNING_PASSWORD"):
            self.stdout.write(f"PAPERS_SIGNING_PASSWORD={password}")
