"""The program's icon, drawn with Pillow: the tray shows it per server state, builds write it as .ico.

Drawn rather than stored so that no binary file lives in the repository and the
tray, the executables and the installer always show the same picture: the
UI's blue tile with a phone outline, and a dot in the corner for the server's state.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

BLUE = (29, 79, 145, 255)  # --azul of the staff UI
WHITE = (255, 255, 255, 255)

# The server's state as the tray shows it: the dot's colour.
STATE_COLOURS = {
    "running": (46, 160, 67, 255),
    "starting": (230, 165, 0, 255),
    "stopped": (140, 140, 140, 255),
    "error": (207, 34, 46, 255),
}

ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)


def image(state: str | None = None, size: int = 64) -> Image.Image:
    """The icon at `size` pixels; with a `state` (a STATE_COLOURS key), its status dot."""
    scale = size / 64
    picture = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(picture)
    draw.rounded_rectangle((0, 0, size - 1, size - 1), radius=12 * scale, fill=BLUE)
    # A phone: the shop's most common repair.
    draw.rounded_rectangle(
        (20 * scale, 9 * scale, 44 * scale, 55 * scale), radius=5 * scale, outline=WHITE, width=max(1, round(4 * scale))
    )
    draw.ellipse((29 * scale, 45 * scale, 35 * scale, 51 * scale), fill=WHITE)
    if state is not None:
        colour = STATE_COLOURS[state]
        draw.ellipse(
            (38 * scale, 38 * scale, 63 * scale, 63 * scale), fill=colour, outline=WHITE, width=max(1, round(3 * scale))
        )
    return picture


def write_ico(path: str | Path) -> Path:
    """Write the plain icon (no status dot) as a Windows .ico with every usual size; returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    image(size=256).save(path, format="ICO", sizes=[(n, n) for n in ICO_SIZES])
    return path
