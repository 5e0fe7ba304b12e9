"""WCAG 2 contrast: relative luminance of sRGB colours and the ratio between two of them."""

from __future__ import annotations

AA_TEXT = 4.5  # WCAG 2.x AA for body text (1.4.3)
AA_NON_TEXT = 3.0  # WCAG 2.x AA for focus rings and other UI parts (1.4.11)


def _rgb(color: str | tuple[int, int, int]) -> tuple[int, int, int]:
    if isinstance(color, tuple):
        return color
    value = color.lstrip("#")
    if len(value) == 3:
        value = "".join(ch * 2 for ch in value)
    if len(value) != 6:
        raise ValueError(f"not a #rrggbb colour: {color!r}")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def _channel(c8: int) -> float:
    c = c8 / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def luminance(color: str | tuple[int, int, int]) -> float:
    """WCAG relative luminance, 0 (black) to 1 (white)."""
    r, g, b = _rgb(color)
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def ratio(fg: str | tuple[int, int, int], bg: str | tuple[int, int, int]) -> float:
    """Contrast ratio (L1 + 0.05) / (L2 + 0.05), from 1 to 21."""
    a, b = luminance(fg), luminance(bg)
    lighter, darker = max(a, b), min(a, b)
    return (lighter + 0.05) / (darker + 0.05)


def blend(fg: str, bg: str, opacity: float) -> tuple[int, int, int]:
    """`fg` painted at `opacity` over `bg` (what a faded bubble's text really is)."""
    f, b = _rgb(fg), _rgb(bg)
    return tuple(round(fc * opacity + bc * (1 - opacity)) for fc, bc in zip(f, b, strict=True))
