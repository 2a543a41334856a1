"""GET /qr: QR codes drawn by the server as scalable SVG, for tickets and labels."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from helpers import assert_error

SVG_NS = "{http://www.w3.org/2000/svg}"


def qr(api, texto):
    response = api.get("/qr", params={"texto": texto})
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "image/svg+xml; charset=utf-8"
    assert response.headers["Cache-Control"] == "private, max-age=86400"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    return response.text


def test_a_qr_code_is_a_scalable_svg_with_a_quiet_zone(api):
    svg = qr(api, "Orden 1234")
    assert svg.startswith("<svg ") and "<?xml" not in svg
    root = ET.fromstring(svg)  # well-formed, standalone (its own namespace)
    assert root.tag == f"{SVG_NS}svg"
    assert "width" not in root.attrib and "height" not in root.attrib  # sized by the page's CSS
    match = re.fullmatch(r"0 0 (\d+) (\d+)", root.attrib["viewBox"])
    assert match and match.group(1) == match.group(2)
    # A QR code is 21 + 4·(version − 1) modules wide; the border is 2 modules on each side.
    side = int(match.group(1)) - 2 * 2
    assert side >= 21 and (side - 21) % 4 == 0
    assert root.findall(f"{SVG_NS}path"), svg
    assert "<script" not in svg


def test_the_same_text_gives_the_same_code_and_different_texts_different_ones(api):
    first = qr(api, "Folio 1001")
    assert qr(api, "Folio 1001") == first
    assert qr(api, "Folio 1002") != first
    assert qr(api, "folio 1001") != first  # taken exactly as given
    assert qr(api, " Folio 1001") != first  # not trimmed


@pytest.mark.parametrize(
    "texto",
    [
        "https://servitec.local/ordenes/0c2b6b0e-7c0a-4d38-9f5b-3a2f0e6f4c11",
        "Niño, cámara, señal: ñ á é í ó ú ü ¿¡",
        "Emoji \U0001f4f1 y acentos",
        "x" * 200,
        "ñ" * 200,
    ],
)
def test_long_and_non_ascii_texts_up_to_the_limit(api, texto):
    root = ET.fromstring(qr(api, texto))
    assert root.attrib["viewBox"].startswith("0 0 ")


@pytest.mark.parametrize(
    "params, message",
    [
        ({"texto": "x" * 201}, "Máximo 200 caracteres."),
        ({"texto": "ñ" * 201}, "Máximo 200 caracteres."),
        ({"texto": ""}, "No puede quedar vacío."),
        ({"texto": "   "}, "No puede quedar vacío."),
        ({"texto": "línea 1\nlínea 2"}, "No puede llevar saltos de línea, tabuladores ni caracteres de control."),
        ({}, "Campo obligatorio."),
    ],
)
def test_empty_too_long_or_multiline_text_is_refused_in_spanish(api, params, message):
    error = assert_error(api.get("/qr", params=params), 422, "validacion")
    assert error["fields"] == {"texto": message}
