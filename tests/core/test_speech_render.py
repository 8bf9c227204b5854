"""``core.speech.render``: a generated talking video rendered with a generated track, checked with
ffprobe, silero-vad and loudness measurements; bad inputs write nothing."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import threading
from pathlib import Path

import numpy as np
import pytest

from captioner_app.core.analysis.speech import detect_speech
from captioner_app.core.errors import CancelledError, TrackError, UsageError
from captioner_app.core.media.audio import decode_audio
from captioner_app.core.speech.render import NarrationOverrunError, RenderOptions, iso639_2, render
from captioner_app.core.tracks.track import Cue, Track
from captioner_app.testing.media import make_video
from captioner_app.testing.speech import make_speech_video

# the talking video speaks at about 1.0-4.6 s, 7.5-10.9 s and 14.0-17.5 s, over a steady hiss
CUES = [
    Cue(4800, 7300, "A red room with a white block."),
    Cue(11_100, 13_800, "The room turns green."),
    Cue(17_700, 19_900, "Now the room is blue."),
]
SR = 16000


def ffprobe(path: Path) -> dict:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_streams", "-show_format", "-of", "json", str(path)],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    return json.loads(out)


def packet_hashes(path: Path, stream: int) -> list[str]:
    out = subprocess.run(
        [
            "ffprobe",
            "-v",
            "error",
            "-select_streams",
            str(stream),
            "-show_packets",
            "-show_data_hash",
            "MD5",
            "-show_entries",
            "packet=data_hash",
            "-of",
            "csv=p=0",
            str(path),
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    return out.split()


def packet_times(path: Path, stream: str) -> list[str]:
    out = subprocess.run(
        [
            "ffprobe",
            "-v",
            "error",
            "-select_streams",
            stream,
            "-show_entries",
            "packet=pts_time",
            "-of",
            "csv=p=0",
            str(path),
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    return [line.split(",")[0] for line in out.split()]


def audio_stream(path: Path, index: int) -> np.ndarray:
    """Audio stream ``index`` of ``path`` as 16 kHz mono (ffmpeg honours its timestamps)."""
    out = subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-i",
            str(path),
            "-map",
            f"0:a:{index}",
            "-ac",
            "1",
            "-ar",
            str(SR),
            "-f",
            "f32le",
            "-",
        ],
        check=True,
        capture_output=True,
        timeout=60,
    ).stdout
    return np.frombuffer(out, dtype="<f4").copy()


@pytest.fixture(scope="module")
def talk(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not shutil.which("ffprobe"):
        pytest.fail("ffprobe is needed (apt-get install ffmpeg; .ci/run installs it)")
    return make_speech_video(tmp_path_factory.mktemp("render") / "talk.mp4", noise_level=0.03)[0]


@pytest.fixture(scope="module")
def rendered(talk: Path, tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("out")
    track = Track(list(CUES), language="en")
    results = {
        name: render(talk, track, folder / name, RenderOptions(stem=name.startswith("stem")))
        for name in ("described.mp4", "described.mkv", "mix.wav", "stem.wav")
    }
    return folder, results


def test_mp4_keeps_the_original_streams_and_adds_a_tagged_description_stream(talk: Path, rendered):
    folder, results = rendered
    probe = ffprobe(folder / "described.mp4")
    kinds = [(s["codec_type"], s["codec_name"]) for s in probe["streams"]]
    assert kinds == [("video", "h264"), ("audio", "aac"), ("audio", "aac")]
    ad = probe["streams"][2]
    assert ad["disposition"]["visual_impaired"] == 1 and ad["disposition"]["default"] == 0
    assert ad["tags"]["language"] == "eng"
    assert ad["tags"]["handler_name"] == "Audio description"
    assert probe["streams"][1]["disposition"]["default"] == 1  # the programme stays the default
    for stream in (0, 1):  # copied packet for packet
        assert packet_hashes(folder / "described.mp4", stream) == packet_hashes(talk, stream)
    assert float(probe["format"]["duration"]) == pytest.approx(20.0, abs=0.1)
    assert results["described.mp4"].kind == "video"


def test_mkv_has_the_title_and_disposition(rendered):
    folder, _ = rendered
    ad = ffprobe(folder / "described.mkv")["streams"][2]
    assert ad["tags"]["title"] == "Audio description" and ad["tags"]["language"] == "eng"
    assert ad["disposition"]["visual_impaired"] == 1


def test_narration_stem_speaks_inside_each_cue_and_nowhere_else(rendered):
    folder, results = rendered
    stem = decode_audio(str(folder / "stem.wav"))
    assert stem is not None and len(stem) == pytest.approx(20 * SR, abs=SR // 10)  # the programme's length
    speech = detect_speech(stem)
    assert speech
    for span in speech:
        assert any(c.start_ms - 50 <= span.start_ms and span.end_ms <= c.end_ms + 50 for c in CUES), (span, CUES)
    for cue, placement in zip(CUES, results["stem.wav"].plan.placements, strict=False):
        found = sum(s.overlap_ms(cue.start_ms, cue.end_ms) for s in speech)
        assert found >= 0.6 * placement.spoken_ms, (cue, speech)


def _db(x: np.ndarray) -> float:
    return 20 * np.log10(np.sqrt(np.mean(np.square(x, dtype=np.float64))) + 1e-12)


def test_programme_is_at_least_9_db_lower_under_each_cue(talk: Path, rendered):
    folder, results = rendered
    original = decode_audio(str(talk))
    mixed = decode_audio(str(folder / "mix.wav"))
    stem = decode_audio(str(folder / "stem.wav"))
    assert original is not None and mixed is not None and stem is not None
    programme = mixed - stem[: len(mixed)]
    for p in results["mix.wav"].plan.placements:
        a, b = p.start_ms * SR // 1000, (p.start_ms + p.spoken_ms) * SR // 1000
        drop = _db(original[a:b]) - _db(programme[a:b])
        assert drop >= 9.0, (p, drop)
    # and untouched away from the cues (1 s before the first one)
    assert abs(_db(original[3 * SR : 4 * SR]) - _db(programme[3 * SR : 4 * SR])) < 1.0


def test_extended_cue_freezes_the_picture_and_lengthens_the_output(talk: Path, tmp_path: Path):
    track = Track(
        [CUES[0], Cue(11_100, 11_600, "A white block slides across a green wall and stops at the edge.", extended=True)]
    )
    result = render(talk, track, tmp_path / "ext.mp4")
    pause = result.plan.pauses[0]
    assert pause.at_ms == 11_100 and pause.length_ms == result.plan.placements[1].spoken_ms > 3000
    probe = ffprobe(tmp_path / "ext.mp4")
    grown = float(probe["format"]["duration"]) - 20.0
    assert grown == pytest.approx(pause.length_ms / 1000, abs=0.1)
    video = next(s for s in probe["streams"] if s["codec_type"] == "video")
    assert float(video["duration"]) == pytest.approx(20.0 + pause.length_ms / 1000, abs=0.1)
    # the described mix pauses the programme: the speech at 14 s now starts at 14 s + the pause,
    # and the narration is heard during the pause
    speech = detect_speech(audio_stream(tmp_path / "ext.mp4", 1))
    assert any(abs(s.start_ms - (14_000 + pause.length_ms)) < 300 for s in speech), speech
    assert any(s.overlap_ms(11_100, 11_100 + pause.length_ms) > 0.6 * pause.length_ms for s in speech), speech
    # the original audio is copied with its timestamps moved past the pause, in step with the picture
    before = [float(t) for t in packet_times(talk, "a:0")]
    after = [float(t) for t in packet_times(tmp_path / "ext.mp4", "a:0")]
    assert len(before) == len(after)
    moved = [b - a for a, b in zip(before, after, strict=False)]
    assert all(m == 0 for a, m in zip(before, moved, strict=False) if a < 11.1 - 1e-6)
    shift = pause.length_ms / 1000
    assert all(m == pytest.approx(shift, abs=0.001) for a, m in zip(before, moved, strict=False) if a >= 11.1)
    assert result.to_dict()["cues"][1]["freeze"] == {"output_start_ms": 11_100, "duration_ms": pause.length_ms}


def test_video_without_audio_gets_narration_only(tmp_path: Path):
    silent = make_video(tmp_path / "silent.mp4", 8.0)
    render(silent, Track([Cue(2000, 5000, "A red room.")]), tmp_path / "out.mp4")
    streams = ffprobe(tmp_path / "out.mp4")["streams"]
    assert [s["codec_type"] for s in streams] == ["video", "audio"]
    audio = decode_audio(str(tmp_path / "out.mp4"))
    assert audio is not None and len(audio) >= 7.9 * SR
    speech = detect_speech(audio)
    assert speech and all(s.start_ms >= 1950 and s.end_ms <= 5050 for s in speech), speech


def test_a_cue_that_does_not_fit_stops_the_render(talk: Path, tmp_path: Path):
    out = tmp_path / "x.mp4"
    track = Track([CUES[0], Cue(11_100, 12_000, "A white block slides across a green wall and stops at the edge.")])
    with pytest.raises(NarrationOverrunError, match="1 cue takes longer to speak") as info:
        render(talk, track, out)
    assert [p.cue_index for p in info.value.overruns] == [1]
    assert "narration needs 3.6 s, the cue has 0.9 s" in info.value.overruns[0].line()
    assert not out.exists() and os.listdir(tmp_path) == []
    result = render(talk, track, out, RenderOptions(allow_overrun=True))
    assert out.is_file() and [p.cue_index for p in result.plan.overruns] == [1]


def test_a_track_longer_than_the_video_is_refused(talk: Path, tmp_path: Path):
    track = Track([CUES[0], Cue(25_000, 27_000, "Later.")])
    with pytest.raises(TrackError, match=r"1 cue start after the video ends \(20.0 s\), first cue 2 at 25.0 s"):
        render(talk, track, tmp_path / "x.wav", track_name="long.srt")
    assert os.listdir(tmp_path) == []


def test_unwritable_output_and_bad_extension(talk: Path, tmp_path: Path):
    track = Track([CUES[0]])
    with pytest.raises(TrackError, match="does not exist"):
        render(talk, track, tmp_path / "missing" / "x.mp4")
    (tmp_path / "dir.mp4").mkdir()
    with pytest.raises(TrackError, match="it is a folder"):
        render(talk, track, tmp_path / "dir.mp4")
    with pytest.raises(UsageError, match=r"cannot render to \.avi"):
        render(talk, track, tmp_path / "x.avi")
    with pytest.raises(UsageError, match="--stem writes audio only"):
        render(talk, track, tmp_path / "x.mp4", RenderOptions(stem=True))
    with pytest.raises(UsageError, match="is the input video"):
        render(talk, track, talk)


def test_cancel_or_failure_leaves_the_old_file_and_no_partial_file(talk: Path, tmp_path: Path):
    out = tmp_path / "keep.mkv"
    out.write_bytes(b"the old render")
    cancel = threading.Event()

    def progress(f: float) -> None:
        if f > 0.5:
            cancel.set()

    with pytest.raises(CancelledError):
        render(talk, Track(list(CUES)), out, cancel=cancel, progress=progress)
    assert out.read_bytes() == b"the old render"
    assert sorted(os.listdir(tmp_path)) == ["keep.mkv"]
    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    render(talk, Track(list(CUES)), out)
    assert hashlib.sha256(out.read_bytes()).hexdigest() != digest


def test_language_codes():
    assert iso639_2("en") == "eng" and iso639_2("fr-CA") == "fre" and iso639_2("deu") == "deu"
    assert iso639_2(None) == "und" and iso639_2("x-y") == "und"


def test_a_full_disk_mid_render_keeps_the_old_file_and_leaves_no_partial_file(
    talk: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    import errno

    from captioner_app.core.speech import render as render_module

    def fill_then_fail(tmp: str, *args: object, **kwargs: object) -> None:
        Path(tmp).write_bytes(b"half a video")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(render_module, "_render_to", fill_then_fail)
    out = tmp_path / "keep.mp4"
    out.write_bytes(b"the old render")
    with pytest.raises(TrackError, match=r"keep.mp4: cannot write \(the disk is full\); any existing file"):
        render(talk, Track(list(CUES)), out)
    assert out.read_bytes() == b"the old render"
    assert sorted(os.listdir(tmp_path)) == ["keep.mp4"]
