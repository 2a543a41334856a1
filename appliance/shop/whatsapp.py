"""WhatsApp for a service order: the customer's number as wa.me wants it, and the messages to send.

The counter presses a button and WhatsApp opens with the text written; nothing is
sent by the server. Numbers are Mexican: "52" and the 10 national digits.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from ..store import Tx
from . import ordenes, taller
from .money import format_pesos

COUNTRY = "52"
NATIONAL_DIGITS = 10
_INTERNATIONAL = re.compile(r"^[\s(]*\+")  # "+52 …", "(+52) …"

# How each kind of device is named in a message, and whether the word is feminine
# ("tu laptop ya está lista") or masculine ("tu celular ya está listo").
DEVICE_WORDS = {
    "celular": ("celular", False),
    "laptop": ("laptop", True),
    "pc": ("PC", True),
    "tablet": ("tablet", True),
    "consola": ("consola", True),
    "otro": ("equipo", False),
}

TITLES = {
    "recibido": "Avisar que lo recibimos",
    "presupuesto": "Enviar presupuesto",
    "listo": "Avisar que está listo",
}


def normalize_mx(telefono: str | None) -> str | None:
    """`telefono` as wa.me wants a Mexican number ("52" + 10 digits), or None if it is not one.

    Takes the ways people write them: "55 1234 5678", "(55) 1234-5678", "+52 55 1234 5678",
    "0052 55…", "52 1 55 1234 5678" (the old mobile 1 after the country code is dropped),
    "044 55…" / "045 55…" (old mobile prefixes) and "01 55…" (old long-distance prefix).
    Anything else is refused: another country's number, too few or too many digits, or
    national digits starting with 0 or 1 (no Mexican number does).
    """
    if not telefono:
        return None
    digits = "".join(ch for ch in telefono if ch in "0123456789")
    international = bool(_INTERNATIONAL.match(telefono))
    if digits.startswith("00"):  # the international call prefix dialled from Mexico
        digits, international = digits[2:], True
    if international or (digits.startswith(COUNTRY) and len(digits) in (12, 13)):
        if not digits.startswith(COUNTRY):
            return None  # another country's number
        digits = digits[len(COUNTRY) :]
        if len(digits) == NATIONAL_DIGITS + 1 and digits.startswith("1"):
            digits = digits[1:]
    elif len(digits) == NATIONAL_DIGITS + 3 and digits[:3] in ("044", "045"):
        digits = digits[3:]
    elif len(digits) == NATIONAL_DIGITS + 2 and digits.startswith("01"):
        digits = digits[2:]
    if len(digits) != NATIONAL_DIGITS or digits[0] in "01":
        return None
    return COUNTRY + digits


def _device(orden: dict[str, Any]) -> tuple[str, bool]:
    word, feminine = DEVICE_WORDS.get(orden["equipo"], ("equipo", False))
    return " ".join(part for part in (word, orden["marca"], orden["modelo"]) if part), feminine


def _sentence(text: str) -> str:
    """A free text (a diagnosis) as the end of a sentence: trimmed, with one final period."""
    text = text.strip().rstrip(".").rstrip()
    return f"{text}." if text else ""


def messages(orden: dict[str, Any], montos: dict[str, int | None], nombre_taller: str | None) -> list[dict[str, str]]:
    """The three messages of an order, in es-MX: received, estimate, ready for pickup.

    `orden` as `ordenes.get_orden` gives it, `montos` as `ordenes.amounts`; the shop's
    name is left out of the text while it is not set.
    """
    nombre = (orden["cliente_nombre"] or "").split()
    hola = f"Hola {nombre[0]}," if nombre else "Hola,"
    device, feminine = _device(orden)
    folio = orden["folio"]
    en_taller = f" en {nombre_taller}" if nombre_taller else ""

    recibido = (
        f"{hola}{en_taller} recibimos tu {device} con el folio {folio}. "
        "Te avisaremos por este medio cuando tengamos el diagnóstico."
    )

    presupuesto = [f"{hola}{en_taller} ya revisamos tu {device} (folio {folio})."]
    if orden.get("diagnostico") and _sentence(orden["diagnostico"]):
        presupuesto.append(f"Diagnóstico: {_sentence(orden['diagnostico'])}")
    if montos["presupuesto"] is not None:
        presupuesto.append(f"El presupuesto de la reparación es de {format_pesos(montos['presupuesto'])}.")
        presupuesto.append("¿Nos confirmas si la realizamos?")
    else:
        presupuesto.append("En breve te confirmamos el costo de la reparación.")

    listo = [
        f"{hola} tu {device} (folio {folio}) ya está {'lista' if feminine else 'listo'}.",
        f"Puedes {'recogerla' if feminine else 'recogerlo'} en {nombre_taller}."
        if nombre_taller
        else f"Puedes pasar a {'recogerla' if feminine else 'recogerlo'}.",
    ]
    if montos["costo_final"] is not None:
        saldo = montos["saldo"] or 0
        listo.append(f"El saldo a pagar es de {format_pesos(saldo)}." if saldo > 0 else "No tienes saldo pendiente.")

    texts = {"recibido": recibido, "presupuesto": " ".join(presupuesto), "listo": " ".join(listo)}
    return [{"tipo": tipo, "titulo": TITLES[tipo], "texto": texto} for tipo, texto in texts.items()]


def link(numero: str | None, texto: str) -> str | None:
    """The wa.me address that opens a chat with `numero` and `texto` written; None without a number."""
    return None if numero is None else f"https://wa.me/{numero}?text={quote(texto, safe='')}"


def whatsapp_orden(tx: Tx, orden_id: str) -> dict[str, Any]:
    """The customer's number for WhatsApp and the order's messages with their wa.me links.

    When the phone is missing or not a Mexican number, `numero` and every `url` are
    null and `error` tells the counter what to fix; the texts are still given (they
    can be copied).
    """
    orden = ordenes.get_orden(tx, orden_id)
    telefono = orden["cliente_telefono"]
    numero = normalize_mx(telefono)
    error = None
    if not telefono:
        error = "El cliente no tiene teléfono registrado; agrégalo en Clientes."
    elif numero is None:
        error = f"El teléfono del cliente ({telefono}) no es un número de México de 10 dígitos; corrígelo en Clientes."
    mensajes = messages(orden, ordenes.amounts(tx, orden_id), taller.get_taller(tx)["nombre"])
    return {
        "telefono": telefono,
        "numero": numero,
        "error": error,
        "mensajes": [{**mensaje, "url": link(numero, mensaje["texto"])} for mensaje in mensajes],
    }
