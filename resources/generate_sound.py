"""Writes notify.wav: a soft two-note chime (run by hand; the WAV is committed)."""

import math
import struct
import wave
from pathlib import Path

RATE = 44100


def tone(freq: float, seconds: float, volume: float = 0.35) -> list[float]:
    n = int(RATE * seconds)
    out = []
    for i in range(n):
        t = i / RATE
        attack = min(1.0, t / 0.008)
        decay = math.exp(-t * 7.0)
        sample = math.sin(2 * math.pi * freq * t) + 0.25 * math.sin(4 * math.pi * freq * t)
        out.append(volume * attack * decay * sample / 1.25)
    return out


def main() -> None:
    samples = tone(880.0, 0.16) + tone(1318.5, 0.34)
    path = Path(__file__).with_name("notify.wav")
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(RATE)
        wav.writeframes(b"".join(struct.pack("<h", int(s * 32767)) for s in samples))


if __name__ == "__main__":
    main()
