"""QR codes for tickets and labels, drawn as SVG by segno (pure Python, no image library).

Here rather than in the API so that the desktop client, which runs the shop's
code on its replica, prints the very same code while offline.
"""

from __future__ import annotations

import functools
import io

import segno

BORDER = 2  # modules of quiet zone around the code: enough for phone cameras on a white ticket


@functools.lru_cache(maxsize=256)
def svg(texto: str) -> bytes:
    """A standalone SVG of a QR code (never a Micro QR, which phones read poorly) for `texto`.

    No XML declaration and no fixed size: a `viewBox` in modules, so it scales to
    whatever the ticket's CSS gives it. Dark modules on a white background, so it
    also reads on a dark screen. Error correction M at least (segno raises it when
    that fits in the same size). The same text always gives the same bytes; tickets
    print the same folio again and again, hence the cache (a 200-character code takes
    ~18 ms to draw).
    """
    code = segno.make_qr(texto, error="m")
    out = io.BytesIO()
    code.save(
        out,
        kind="svg",
        border=BORDER,
        xmldecl=False,
        omitsize=True,
        svgclass=None,
        lineclass=None,
        nl=False,
        dark="#000",
        light="#fff",
    )
    return out.getvalue()
