"""Playback rate with the pitch kept: WSOLA (waveform-similarity overlap-add) in numpy, streaming.

Frames of ``frame_ms`` are taken from the input every ``hop * rate`` samples and laid down every ``hop``
samples with a Hann window (50 % overlap: the windows sum to one); each frame is moved by up to
``search_ms`` to where it best continues the previous one (cross-correlation, coarse on every 4th sample
then exact), so periods line up and the pitch stays. Speech and music at 0.5x-2x sound natural enough
to check timing by ear. Written here rather than taken from a library: pyrubberband needs the
rubberband program installed beside it, audiotsm has had no release since 2019, and librosa's phase
vocoder pulls in numba and smears transients; this is about 100 lines of numpy and ships everywhere.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

MIN_RATE = 0.5
MAX_RATE = 2.0


class Stretcher:
    """Mono float32 in (any chunk sizes), the same sound ``rate`` times faster out, pitch kept.

    The output's sample ``k`` plays input sample ``k * rate`` (within the search range)."""

    def __init__(self, rate: float, sample_rate: int, frame_ms: float = 30.0, search_ms: float = 10.0) -> None:
        import numpy as np

        if not MIN_RATE <= rate <= MAX_RATE:
            raise ValueError(f"a playback rate of {rate:g} is outside {MIN_RATE:g}-{MAX_RATE:g}")
        self.rate = float(rate)
        n = max(8, int(sample_rate * frame_ms / 1000) // 8 * 8)
        self.frame = n
        self.hop = n // 2
        self.search = max(4, int(sample_rate * search_ms / 1000) // 4 * 4)
        self.window = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n) / n)).astype(np.float32)
        self._in: np.ndarray = np.zeros(0, np.float32)
        self._base = 0  # input index of _in[0]
        self._next = 0.0  # where the next frame would be taken without searching
        self._prev: int | None = None  # where the previous frame was taken
        self._acc: np.ndarray = np.zeros(n, np.float32)
        self.consumed = 0  # input samples fed
        self.produced = 0  # output samples returned

    def feed(self, chunk: np.ndarray) -> np.ndarray:
        import numpy as np

        chunk = np.asarray(chunk, dtype=np.float32).reshape(-1)
        self.consumed += len(chunk)
        self._in = np.concatenate([self._in, chunk]) if len(self._in) else chunk.copy()
        out: list[np.ndarray] = []
        n, hop, s = self.frame, self.hop, self.search
        end = self._base + len(self._in)
        while True:
            nominal = int(round(self._next))
            if self._prev is None:
                if nominal + n > end:
                    break
                actual = nominal
            else:
                lo = max(nominal - s, self._base)
                hi = nominal + s
                if hi + n > end or self._prev + hop + n > end:
                    break
                actual = lo + self._best(self._prev + hop, lo, max(lo, hi))
            frame = self._in[actual - self._base : actual - self._base + n] * self.window
            self._acc += frame
            out.append(self._acc[:hop].copy())
            self._acc = np.concatenate([self._acc[hop:], np.zeros(hop, np.float32)])
            self._prev = actual
            self._next += hop * self.rate
            drop = min(self._prev + hop, int(self._next) - s) - self._base
            if drop > 0:
                self._in = self._in[drop:]
                self._base += drop
        result = np.concatenate(out) if out else np.zeros(0, np.float32)
        self.produced += len(result)
        return result

    def _best(self, target_at: int, lo: int, hi: int) -> int:
        """The offset from ``lo`` (0..hi-lo) whose frame best continues the frame at ``target_at``."""
        import numpy as np

        n, b = self.frame, self._base
        target = self._in[target_at - b : target_at - b + n]
        region = self._in[lo - b : hi - b + n]
        coarse = np.correlate(region[::4], target[::4], mode="valid")
        guess = int(np.argmax(coarse)) * 4 if len(coarse) else 0
        best, best_score = guess, -np.inf
        for offset in range(max(0, guess - 3), min(hi - lo, guess + 3) + 1):
            score = float(np.dot(region[offset : offset + n], target))
            if score > best_score:
                best, best_score = offset, score
        return best

    def flush(self) -> np.ndarray:
        """The rest: the output up to ``consumed / rate`` samples in all."""
        import numpy as np

        want = int(round(self.consumed / self.rate)) - self.produced
        if want <= 0:
            return np.zeros(0, np.float32)
        consumed, produced = self.consumed, self.produced
        pad = want * 2 + self.frame * 2 + self.search * 2
        tail = self.feed(np.zeros(int(pad * self.rate) + self.frame, np.float32))[:want]
        self.consumed, self.produced = consumed, produced + len(tail)
        return tail
