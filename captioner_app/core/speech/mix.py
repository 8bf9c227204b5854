"""The described mix: narration laid over the programme, the programme ducked under it.

Times in the public API are integer milliseconds. :func:`plan_narration` places each cue's narration
(programme time = the cue's start) and says which cues do not fit. Extended cues pause the programme
at their start for their narration time, so the output timeline is the programme's plus those pauses
(:meth:`NarrationPlan.to_output_ms`). :class:`Mixer` turns programme audio into the described mix
chunk by chunk (for a render of any length, or for a preview player); :func:`mix` does it in one call.

Ducking: the programme is lowered by ``duck_db`` (default -12 dB) while narration plays, reaching the
full cut as the narration starts and coming back after it ends, each over ``ramp_ms`` (default 200 ms).
Around a pause the programme fades out and back in over ``pause_fade_ms`` so the cut does not click.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from captioner_app.core.errors import UsageError

if TYPE_CHECKING:
    import numpy as np

    from captioner_app.core.speech.voice import Narration
    from captioner_app.core.tracks.track import Cue

DEFAULT_DUCK_DB = -12.0
DEFAULT_RAMP_MS = 200
DEFAULT_NARRATION_PEAK_DB = -3.0


@dataclass(frozen=True)
class MixOptions:
    duck_db: float = DEFAULT_DUCK_DB  # programme level under narration (0: no ducking)
    ramp_ms: int = DEFAULT_RAMP_MS  # duck down before / back up after narration
    narration_peak_db: float = DEFAULT_NARRATION_PEAK_DB  # each narration's peak level (dBFS)
    pause_fade_ms: int = 10  # programme fade out/in around an extended cue's pause
    programme: bool = True  # False: the narration stem alone (silence elsewhere)

    def validate(self) -> None:
        if not -60.0 <= self.duck_db <= 0.0:
            raise UsageError(f"--duck {self.duck_db:g} dB is outside -60 to 0 dB")
        if not 0 <= self.ramp_ms <= 2000:
            raise UsageError(f"a ducking ramp of {self.ramp_ms} ms is outside 0-2000 ms")
        if self.narration_peak_db > 0:
            raise UsageError("the narration peak cannot be above 0 dBFS")


@dataclass(frozen=True)
class Placement:
    """One cue's narration on the programme. Programme times unless named ``output_``."""

    cue_index: int
    start_ms: int  # where it is spoken: the cue's start
    end_ms: int  # the cue's end
    spoken_ms: int  # how long the narration lasts
    extended: bool  # the programme pauses at start_ms while it is spoken
    available_ms: int  # time it may take: the cue's length (clipped at the programme's end)
    output_start_ms: int  # where it starts in the output, after earlier pauses

    @property
    def overrun_ms(self) -> int:
        """How much longer the narration is than its cue (0 when it fits; extended cues always fit)."""
        return 0 if self.extended else max(0, self.spoken_ms - self.available_ms)

    @property
    def fits(self) -> bool:
        return self.overrun_ms == 0

    def line(self) -> str:
        """``cue 3 (00:12.4-00:15.0): narration needs 3.4 s, the cue has 2.6 s``."""
        return (
            f"cue {self.cue_index + 1} ({_clock(self.start_ms)}-{_clock(self.end_ms)}): narration needs "
            f"{self.spoken_ms / 1000:.1f} s, the cue has {self.available_ms / 1000:.1f} s"
        )

    def to_dict(self) -> dict[str, object]:
        return {
            "cue": self.cue_index + 1,
            "start_ms": self.start_ms,
            "end_ms": self.end_ms,
            "spoken_ms": self.spoken_ms,
            "available_ms": self.available_ms,
            "extended": self.extended,
            "fits": self.fits,
            "output_start_ms": self.output_start_ms,
            "output_end_ms": self.output_start_ms + self.spoken_ms,
            # an extended cue freezes the picture here in the output, for spoken_ms
            "freeze": {"output_start_ms": self.output_start_ms, "duration_ms": self.spoken_ms}
            if self.extended
            else None,
        }


@dataclass(frozen=True)
class Pause:
    """An extended cue's pause: the programme stops at ``at_ms`` (programme time) for ``length_ms``."""

    at_ms: int
    length_ms: int


@dataclass(frozen=True)
class NarrationPlan:
    placements: tuple[Placement, ...]
    programme_ms: int
    pauses: tuple[Pause, ...] = field(default=())

    @property
    def output_ms(self) -> int:
        """The output's length: the programme plus every pause, or the last narration's end if later."""
        end = self.programme_ms + sum(p.length_ms for p in self.pauses)
        return max([end] + [p.output_start_ms + p.spoken_ms for p in self.placements])

    @property
    def overruns(self) -> tuple[Placement, ...]:
        return tuple(p for p in self.placements if not p.fits)

    def to_output_ms(self, programme_ms: int) -> int:
        """Where programme time ``programme_ms`` plays in the output (content at a pause's start plays
        after the pause)."""
        return programme_ms + sum(p.length_ms for p in self.pauses if p.at_ms <= programme_ms)

    def to_dict(self) -> dict[str, object]:
        return {
            "programme_ms": self.programme_ms,
            "output_ms": self.output_ms,
            "pauses": [
                {"at_ms": p.at_ms, "output_at_ms": self.to_output_ms(p.at_ms) - p.length_ms, "length_ms": p.length_ms}
                for p in self.pauses
            ],
            "cues": [p.to_dict() for p in self.placements],
        }


def _clock(ms: int) -> str:
    minutes, rest = divmod(ms, 60_000)
    return f"{minutes:02d}:{rest / 1000:04.1f}"


def plan_narration(cues: Sequence[Cue], spoken_ms: Sequence[int], programme_ms: int) -> NarrationPlan:
    """Place each cue's narration (``spoken_ms[i]`` long) at its start. Cues must be in time order and
    start before ``programme_ms``; empty cues are skipped."""
    if len(cues) != len(spoken_ms):
        raise ValueError("one spoken length per cue is needed")
    placements: list[Placement] = []
    pauses: list[Pause] = []
    shift = 0
    for index, (cue, spoken) in enumerate(zip(cues, spoken_ms, strict=False)):
        if not cue.text.strip() or spoken <= 0:
            continue
        available = max(0, min(cue.end_ms, programme_ms) - cue.start_ms)
        placements.append(
            Placement(index, cue.start_ms, cue.end_ms, int(spoken), cue.extended, available, cue.start_ms + shift)
        )
        if cue.extended:
            pauses.append(Pause(cue.start_ms, int(spoken)))
            shift += int(spoken)
    return NarrationPlan(tuple(placements), int(programme_ms), tuple(pauses))


class Mixer:
    """Programme audio in (programme time, any chunk sizes), described mix out (output time).

    ``narrations`` maps a placement's ``cue_index`` to its narration (resampled here to
    ``sample_rate``). Feed ``(channels, n)`` float32 chunks with :meth:`feed`, then call :meth:`finish`;
    the output is the programme with the pauses inserted, ducked, with the narration added to every
    channel. With ``MixOptions(programme=False)`` the output is the narration stem.
    """

    def __init__(
        self,
        plan: NarrationPlan,
        narrations: dict[int, Narration],
        sample_rate: int,
        channels: int,
        options: MixOptions | None = None,
    ) -> None:
        import numpy as np

        self.options = options or MixOptions()
        self.options.validate()
        self.plan = plan
        self.sample_rate = int(sample_rate)
        self.channels = int(channels)
        sr = self.sample_rate
        peak = 10 ** (self.options.narration_peak_db / 20)
        self._voices: list[tuple[int, np.ndarray]] = []  # (output start sample, samples)
        for p in plan.placements:
            narration = narrations.get(p.cue_index)
            if narration is None or len(narration.samples) == 0:
                continue
            samples = _resample(narration.samples, narration.sample_rate, sr)
            top = float(np.max(np.abs(samples))) if len(samples) else 0.0
            if top > 0:
                samples = samples * (peak / top)
            if p.extended:  # exactly the pause's length, so programme and picture resume together
                n = _samples(p.spoken_ms, sr)
                samples = np.pad(samples[:n], (0, max(0, n - len(samples))))
            self._voices.append((_samples(p.output_start_ms, sr), samples.astype(np.float32)))
        self._gain = 10 ** (self.options.duck_db / 20)
        ramp = _samples(self.options.ramp_ms, sr)
        self._ducks = [(start - ramp, start, start + len(v), start + len(v) + ramp) for start, v in self._voices]
        self._pauses = [(_samples(p.at_ms, sr), _samples(p.length_ms, sr)) for p in plan.pauses]
        out_pauses = []
        shift = 0
        for at, length in self._pauses:
            out_pauses.append((at + shift, at + shift + length))
            shift += length
        self._out_pauses = out_pauses
        self._fade = _samples(self.options.pause_fade_ms, sr)
        self._in_pos = 0  # programme samples consumed
        self._out_pos = 0  # output samples produced
        self._next_pause = 0
        self.total_samples = _samples(plan.output_ms, sr)

    def seek(self, programme_sample: int) -> None:
        """Mix from programme sample ``programme_sample`` on (a preview that starts mid-programme): the
        output position moves past the pauses before it; a pause at that very sample still plays."""
        self._in_pos = int(programme_sample)
        self._next_pause = sum(1 for at, _ in self._pauses if at < self._in_pos)
        self._out_pos = self._in_pos + sum(length for _, length in self._pauses[: self._next_pause])

    def feed(self, chunk: np.ndarray) -> np.ndarray:
        """Mix one chunk of programme audio; returns the output it completes (may include pauses)."""
        import numpy as np

        chunk = np.asarray(chunk, dtype=np.float32)
        if chunk.ndim == 1:
            chunk = chunk.reshape(1, -1)
        if chunk.shape[0] != self.channels:
            raise ValueError(f"expected {self.channels} channels, got {chunk.shape[0]}")
        pieces: list[np.ndarray] = []
        start = 0
        n = chunk.shape[1]
        while self._next_pause < len(self._pauses) and self._pauses[self._next_pause][0] < self._in_pos + n:
            at, length = self._pauses[self._next_pause]
            cut = max(0, at - self._in_pos)
            pieces.append(chunk[:, start:cut])
            pieces.append(np.zeros((self.channels, length), np.float32))
            start = cut
            self._next_pause += 1
        pieces.append(chunk[:, start:])
        self._in_pos += n
        return self._process(np.concatenate(pieces, axis=1) if len(pieces) > 1 else pieces[0])

    def finish(self) -> np.ndarray:
        """The rest of the output: pauses at or after the programme's end, and silence (with narration)
        up to :attr:`NarrationPlan.output_ms`."""
        import numpy as np

        parts = list(self.finish_blocks())
        return np.concatenate(parts, axis=1) if parts else np.zeros((self.channels, 0), np.float32)

    def finish_blocks(self, block: int = 1 << 18) -> Iterator[np.ndarray]:
        """:meth:`finish` in pieces of at most ``block`` samples (a long silent tail stays small)."""
        import numpy as np

        lengths = [length for _, length in self._pauses[self._next_pause :]]
        self._next_pause = len(self._pauses)
        missing = self.total_samples - self._out_pos - sum(lengths)
        if missing > 0:
            lengths.append(missing)
        for length in lengths:
            for start in range(0, length, block):
                yield self._process(np.zeros((self.channels, min(block, length - start)), np.float32))

    def _process(self, block: np.ndarray) -> np.ndarray:
        import numpy as np

        a = self._out_pos
        n = block.shape[1]
        b = a + n
        self._out_pos = b
        if n == 0:
            return block
        if not self.options.programme:
            out = np.zeros_like(block)
        else:
            out = block.copy()
            gain = self._gain_curve(a, b)
            if gain is not None:
                out *= gain
        for start, voice in self._voices:
            lo, hi = max(a, start), min(b, start + len(voice))
            if lo < hi:
                out[:, lo - a : hi - a] += voice[lo - start : hi - start]
        np.clip(out, -1.0, 1.0, out=out)
        return out

    def _gain_curve(self, a: int, b: int) -> np.ndarray | None:
        import numpy as np

        gain: np.ndarray | None = None
        t: np.ndarray | None = None
        for down, full, release, up in self._ducks:
            if up <= a or down >= b:
                continue
            if t is None:
                t = np.arange(a, b, dtype=np.float64)
                gain = np.ones(b - a, np.float32)
            depth: np.ndarray = np.ones(b - a, np.float64)
            if full > down:
                depth = np.minimum(depth, np.clip((t - down) / (full - down), 0, 1))
            else:
                depth = np.minimum(depth, (t >= down).astype(np.float64))
            if up > release:
                depth = np.minimum(depth, np.clip((up - t) / (up - release), 0, 1))
            else:
                depth = np.minimum(depth, (t < up).astype(np.float64))
            assert gain is not None
            gain = np.minimum(gain, (1 - (1 - self._gain) * depth).astype(np.float32))
        if self._fade > 0:
            for p0, p1 in self._out_pauses:
                if p1 + self._fade <= a or p0 - self._fade >= b:
                    continue
                if t is None:
                    t = np.arange(a, b, dtype=np.float64)
                    gain = np.ones(b - a, np.float32)
                fade = np.clip(np.maximum((p0 - t) / self._fade, (t - p1 + 1) / self._fade), 0, 1)
                assert gain is not None
                gain = gain * fade.astype(np.float32)
        return gain


def mix(
    programme: np.ndarray | None,
    sample_rate: int,
    plan: NarrationPlan,
    narrations: dict[int, Narration],
    options: MixOptions | None = None,
    channels: int = 1,
) -> np.ndarray:
    """The whole described mix (or stem) at once: ``(channels, n)`` float32. ``programme`` is
    ``(channels, n)`` or mono ``(n,)``, or ``None`` for a programme without audio (silence)."""
    import numpy as np

    if programme is not None:
        programme = np.asarray(programme, dtype=np.float32)
        if programme.ndim == 1:
            programme = programme.reshape(1, -1)
        channels = programme.shape[0]
    mixer = Mixer(plan, narrations, sample_rate, channels, options)
    parts = [mixer.feed(programme)] if programme is not None else []
    parts.append(mixer.finish())
    return np.concatenate(parts, axis=1)


def _samples(ms: int, sample_rate: int) -> int:
    return int(round(ms * sample_rate / 1000))


def _resample(samples: np.ndarray, rate: int, target: int) -> np.ndarray:
    """Band-limited enough for speech: linear interpolation after a short low-pass when downsampling."""
    import numpy as np

    if rate == target or len(samples) == 0:
        return np.asarray(samples, dtype=np.float32)
    x = np.asarray(samples, dtype=np.float64)
    if target < rate:  # a moving average against aliasing (narration has little above 8 kHz)
        width = max(1, int(round(rate / target)))
        if width > 1:
            x = np.convolve(x, np.ones(width) / width, mode="same")
    n = int(round(len(x) * target / rate))
    return np.interp(np.arange(n) * (rate / target), np.arange(len(x)), x).astype(np.float32)
