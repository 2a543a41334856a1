"""Self-signed certificate for HTTPS on the shop's LAN (`python -m appliance gen-cert`).

No public CA issues certificates for a PC's LAN address, so the server makes
its own. Desktop clients pin its SHA-256 fingerprint instead of trusting a CA;
browsers warn until someone accepts it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import ipaddress
import os
import re
import socket
import sys
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from ..shop import clock

CERT_FILE = "servitec-cert.pem"
KEY_FILE = "servitec-key.pem"
MAX_DAYS = 3650
# A counter PC whose clock runs a little behind must not see a certificate made
# a minute ago as "not yet valid".
BACKDATE = dt.timedelta(hours=1)
# Connecting a UDP socket sends nothing: the kernel only picks the local
# address its route to that destination would use. One probe per private range
# finds the LAN address even when the hostname resolves to loopback only.
ROUTE_PROBES = (
    (socket.AF_INET, "10.254.254.254"),
    (socket.AF_INET, "172.31.254.254"),
    (socket.AF_INET, "192.168.254.254"),
    (socket.AF_INET6, "fd00::1"),
)
DNS_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class CertError(ValueError):
    """The certificate cannot be made as asked; the message is for a person."""


@dataclass(frozen=True)
class GeneratedCert:
    """What gen-cert wrote: the two files, the names it is valid for, the pinned fingerprint, the expiry."""

    cert_path: Path
    key_path: Path
    names: tuple[str, ...]
    fingerprint: str
    not_after: dt.datetime


def lan_addresses(hostname: str) -> list[IPAddress]:
    """This machine's addresses other clients can reach it by (no loopback, no link-local)."""
    candidates = []
    with contextlib.suppress(OSError):
        candidates += [info[4][0] for info in socket.getaddrinfo(hostname, None)]
    for family, probe in ROUTE_PROBES:
        try:
            with socket.socket(family, socket.SOCK_DGRAM) as sock:
                sock.connect((probe, 9))
                candidates.append(sock.getsockname()[0])
        except OSError:
            continue  # no route to that range (or no IPv6 at all)
    found: list[IPAddress] = []
    for text in candidates:
        address = ipaddress.ip_address(text.split("%")[0])
        # Link-local addresses change or need a zone id in the URL; nobody types them.
        if address.is_loopback or address.is_link_local or address.is_unspecified or address.is_multicast:
            continue
        if address not in found:
            found.append(address)
    return found


def dns_name(value: str) -> str:
    """`value` as the ASCII host name a certificate holds; CertError if it is not one."""
    name = value.strip().rstrip(".").lower()
    try:
        name = name.encode("idna").decode("ascii")
    except UnicodeError:
        name = ""
    if not name or len(name) > 253 or not all(DNS_LABEL.fullmatch(label) for label in name.split(".")):
        raise CertError(f"{value!r} no es un nombre de equipo ni una dirección IP válidos.")
    return name


def fingerprint(cert_der: bytes) -> str:
    """SHA-256 of a DER certificate as AA:BB:..., the form clients pin."""
    return ":".join(f"{byte:02X}" for byte in hashlib.sha256(cert_der).digest())


def file_fingerprint(cert_path: str | os.PathLike[str]) -> str:
    """The fingerprint of a PEM file's first certificate: the server's own, when the file holds a chain."""
    cert = x509.load_pem_x509_certificates(Path(cert_path).read_bytes())[0]
    return fingerprint(cert.public_bytes(serialization.Encoding.DER))


def subject_names(hostname: str, hosts: list[str] | tuple[str, ...] = ()) -> list[str | IPAddress]:
    """Every name and address the certificate is for: this machine's, loopback's and `hosts`."""
    short = hostname.split(".")[0]
    wanted: list[str | IPAddress] = []
    for name in (hostname, short, f"{short}.local", "localhost"):
        try:
            wanted.append(dns_name(name))
        except CertError:
            continue  # a hostname no certificate can hold (e.g. with an underscore); its IPs still count
    wanted += [ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1"), *lan_addresses(hostname)]
    for host in hosts:
        try:
            wanted.append(ipaddress.ip_address(host.strip().strip("[]")))
        except ValueError:
            wanted.append(dns_name(host))
    unique: list[str | IPAddress] = []
    for entry in wanted:
        if entry not in unique:
            unique.append(entry)
    return unique


def generate(
    out_dir: str | os.PathLike[str], days: int, hosts: list[str] | tuple[str, ...] = (), force: bool = False
) -> GeneratedCert:
    """Write a self-signed EC P-256 certificate and its key (0600) into `out_dir`."""
    if not 1 <= days <= MAX_DAYS:
        raise CertError(f"--days debe estar entre 1 y {MAX_DAYS}, no {days}.")
    out = Path(out_dir).resolve()
    cert_path, key_path = out / CERT_FILE, out / KEY_FILE
    existing = [path.name for path in (cert_path, key_path) if path.exists()]
    if existing and not force:
        raise CertError(
            f"Ya hay un certificado en {out} ({', '.join(existing)}). Usa --force para reemplazarlo; los "
            "equipos que confían en la huella actual tendrán que aceptar la nueva."
        )
    hostname = socket.gethostname()
    names = subject_names(hostname, hosts)
    key = ec.generate_private_key(ec.SECP256R1())
    not_before = clock.now().replace(microsecond=0) - BACKDATE
    # The whole period counts, not what is left: Apple devices refuse TLS
    # certificates valid for more than 825 days in total.
    not_after = not_before + dt.timedelta(days=days)
    # The common name is only what a certificate viewer shows (64 characters at
    # most); clients match the subject alternative names.
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, (hostname or "ServitecManager")[:64]),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "ServitecManager"),
        ]
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName(entry) if isinstance(entry, str) else x509.IPAddress(entry) for entry in names]
            ),
            critical=False,
        )
        # Not a CA: Firefox refuses a CA certificate used as a server's own.
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
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
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        # Key identifiers (RFC 5280, 4.2.1.1-2): path builders match a certificate to its issuer by them.
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    out.mkdir(parents=True, exist_ok=True)
    _replace(
        key_path,
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
        0o600,
    )
    _replace(cert_path, cert.public_bytes(serialization.Encoding.PEM), 0o644)
    return GeneratedCert(
        cert_path,
        key_path,
        tuple(str(entry) for entry in names),
        fingerprint(cert.public_bytes(serialization.Encoding.DER)),
        not_after,
    )


def _replace(path: Path, content: bytes, mode: int) -> None:
    # Written aside and renamed: the mode is the new file's even when --force
    # replaces a file with looser permissions, and a crash leaves no half key.
    draft = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    draft.unlink(missing_ok=True)
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(content)
        os.replace(draft, path)
    finally:
        draft.unlink(missing_ok=True)


def gen_cert(out_dir: str | os.PathLike[str], days: int, hosts: list[str], force: bool) -> int:
    """The gen-cert command: make the certificate and tell the owner how to use it; return the exit code."""
    try:
        made = generate(out_dir, days, hosts, force)
    except CertError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"Error: no se pudo guardar el certificado en {out_dir}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    print(f"Certificado:   {made.cert_path}")
    print(f"Llave privada: {made.key_path} (es secreta: no la copies a otros equipos)")
    print(f"Válido para:   {', '.join(made.names)}")
    print(f"Válido hasta:  {made.not_after:%Y-%m-%d}")
    print(f"Huella SHA-256: {made.fingerprint}")
    print("Compara esta huella con la que muestre cada equipo al conectarse por primera vez.")
    print("Para usar HTTPS, inicia el servidor con estas variables:")
    print(f"SSL_CERT={made.cert_path}")
    print(f"SSL_KEY={made.key_path}")
    return 0
