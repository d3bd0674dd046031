"""Sound for the announcer: WAVs in memory (any PCM in, mono 16-bit 22,050 Hz out), the shipped
chime, and VLC playing a file to its real end on the null output (no sound card here or in CI),
keeping what it played when asked."""

from __future__ import annotations

import io
import itertools
import logging
import math
import struct
import threading
import time
import wave
from collections.abc import Iterator
from pathlib import Path

import pytest

from hallq.drivers.audio import AudioError, VlcPlayer, chime_path, make_chime, wav
from hallq.drivers.audio import player as player_module

REPO = Path(__file__).resolve().parents[2]


def tone(
    seconds: float,
    frequency: float = 440.0,
    rate: int = 22050,
    channels: int = 1,
    width: int = 2,
    amplitude: float = 0.5,
) -> bytes:
    """A sine WAV written by the standard library (not by the code under test); 8-bit is
    unsigned, as WAV has it."""
    full = (1 << (8 * width - 1)) - 1
    frames = bytearray()
    for n in range(round(seconds * rate)):
        value = round(amplitude * full * math.sin(2 * math.pi * frequency * n / rate))
        unsigned = width == 1  # 8-bit WAV samples are unsigned
        sample = bytes([value + 128]) if unsigned else value.to_bytes(width, "little", signed=True)
        frames += sample * channels
    out = io.BytesIO()
    with wave.open(out, "wb") as file:
        file.setnchannels(channels)
        file.setsampwidth(width)
        file.setframerate(rate)
        file.writeframes(bytes(frames))
    return out.getvalue()


def float_wav(samples: list[float], rate: int = 48000, extensible: bool = False) -> bytes:
    """A 32-bit float WAV, plain (tag 3) or WAVE_FORMAT_EXTENSIBLE with the float subformat."""
    data = struct.pack(f"<{len(samples)}f", *samples)
    if extensible:
        guid_tail = b"\x00\x00\x00\x00\x10\x00\x80\x00\x00\xaa\x00\x38\x9b\x71"
        fmt = struct.pack("<HHIIHHHHI", 0xFFFE, 1, rate, rate * 4, 4, 32, 22, 32, 4)
        fmt += struct.pack("<H", 3) + guid_tail
    else:
        fmt = struct.pack("<HHIIHH", 3, 1, rate, rate * 4, 4, 32)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt
    body += b"data" + struct.pack("<I", len(data)) + data
    return b"RIFF" + struct.pack("<I", len(body)) + body


def mono16(data: bytes) -> tuple[int, int, int, int]:
    """(channels, bytes per sample, rate, frames) as the standard library reads the WAV."""
    with wave.open(io.BytesIO(data)) as file:
        return file.getnchannels(), file.getsampwidth(), file.getframerate(), file.getnframes()


def zero_crossings(data: bytes) -> int:
    with wave.open(io.BytesIO(data)) as file:
        raw = file.readframes(file.getnframes())
    samples = struct.unpack(f"<{len(raw) // 2}h", raw)
    return sum(1 for a, b in itertools.pairwise(samples) if a < 0 <= b)


# --- wav ------------------------------------------------------------------------------------


def test_duration_and_rms_of_a_tone_and_of_silence() -> None:
    sine = tone(1.0, amplitude=0.5)
    assert wav.duration(sine) == pytest.approx(1.0)
    assert wav.rms(sine) == pytest.approx(0.5 / math.sqrt(2), rel=0.01)
    quiet = wav.silence(0.75)
    assert mono16(quiet) == (1, 2, 22050, round(0.75 * 22050))
    assert wav.duration(quiet) == pytest.approx(0.75, abs=1 / 22050)
    assert wav.rms(quiet) == 0.0
    assert wav.duration(wav.silence(0)) == 0.0
    assert wav.rms(wav.silence(0)) == 0.0


def test_8_bit_stereo_at_44100_becomes_mono_16_bit_at_22050() -> None:
    stereo = tone(0.8, frequency=500, rate=44100, channels=2, width=1)
    converted = wav.to_format(stereo)
    assert mono16(converted) == (1, 2, 22050, round(0.8 * 22050))
    assert wav.duration(converted) == pytest.approx(0.8, abs=0.001)
    assert wav.rms(converted) == pytest.approx(wav.rms(stereo), rel=0.03)
    assert wav.rms(converted) == pytest.approx(0.5 / math.sqrt(2), rel=0.03)
    assert zero_crossings(converted) == pytest.approx(500 * 0.8, abs=2)  # still 500 Hz


@pytest.mark.parametrize(("width", "rate"), [(2, 16000), (3, 48000), (4, 44100)])
def test_16_24_and_32_bit_pcm_at_other_rates(width: int, rate: int) -> None:
    source = tone(0.5, frequency=300, rate=rate, width=width, amplitude=0.25)
    converted = wav.to_format(source, rate=22050)
    assert mono16(converted) == (1, 2, 22050, round(0.5 * 22050))
    assert wav.rms(converted) == pytest.approx(0.25 / math.sqrt(2), rel=0.02)
    assert zero_crossings(converted) == pytest.approx(150, abs=2)


def test_to_format_keeps_a_wav_already_in_the_format_sample_for_sample() -> None:
    source = tone(0.3)
    assert wav.to_format(source) == source  # the standard library's header is the canonical one
    upsampled = wav.to_format(source, rate=44100)
    assert mono16(upsampled) == (1, 2, 44100, round(0.3 * 44100))


@pytest.mark.parametrize("extensible", [False, True])
def test_float_wavs_plain_and_extensible(extensible: bool) -> None:
    samples = [0.5 * math.sin(2 * math.pi * 1000 * n / 48000) for n in range(48000 // 4)]
    samples[10] = 3.0  # out of range: clipped, not wrapped
    converted = wav.to_format(float_wav(samples, extensible=extensible))
    assert mono16(converted)[:3] == (1, 2, 22050)
    assert wav.duration(converted) == pytest.approx(0.25, abs=0.001)
    assert wav.rms(converted) == pytest.approx(0.5 / math.sqrt(2), rel=0.03)


def test_a_streamed_wav_whose_sizes_are_too_large_is_read_to_its_real_end() -> None:
    data = bytearray(tone(0.5))
    data[4:8] = struct.pack("<I", 0xFFFFFFFF)
    data[40:44] = struct.pack("<I", 0xFFFFFFFF)  # what a WAV written to a pipe says
    assert wav.duration(bytes(data)) == pytest.approx(0.5)
    data += b"\x01"  # half a frame at the end is left out
    assert wav.duration(bytes(data)) == pytest.approx(0.5)


def test_join_puts_the_gap_between_parts_only() -> None:
    parts = [tone(0.4), tone(0.3, rate=44100, channels=2, width=1), wav.silence(0.2, rate=8000)]
    joined = wav.join(parts, gap=0.25)
    assert mono16(joined)[:3] == (1, 2, 22050)
    assert wav.duration(joined) == pytest.approx(0.4 + 0.3 + 0.2 + 2 * 0.25, abs=0.002)
    # Without a gap the samples are simply one after the other.
    first, second = tone(0.4), tone(0.3, frequency=880)
    together = wav.join([first, second], gap=0)
    assert together[44:] == first[44:] + second[44:]
    assert wav.duration(wav.join([])) == 0.0
    assert wav.duration(wav.join([tone(0.2)], gap=5)) == pytest.approx(0.2)  # no gap after
    eight_k = wav.join([tone(0.2), tone(0.2)], gap=0.1, rate=8000)
    assert mono16(eight_k) == (1, 2, 8000, round(0.5 * 8000))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "not a WAV file"),
        (b"ID3\x04 an mp3 perhaps", "not a WAV file"),
        (b"RIFF\x04\x00\x00\x00WAVE", "no 'fmt ' chunk"),
        (tone(0.1)[:36], "no 'data' chunk"),
        (tone(0.1)[:12] + b"fmt \x04\x00\x00\x00abcd", "'fmt ' chunk is 4 bytes"),
        (tone(0.1)[:20] + struct.pack("<H", 2) + tone(0.1)[22:], "format tag 0x0002"),
        (tone(0.1)[:32] + struct.pack("<H", 3) + tone(0.1)[34:], "frames of 3 bytes"),
        (tone(0.1)[:34] + struct.pack("<H", 12) + tone(0.1)[36:], "12-bit PCM"),
        (tone(0.1)[:22] + struct.pack("<H", 0) + tone(0.1)[24:], "no channels"),
        (tone(0.1)[:24] + struct.pack("<I", 7) + tone(0.1)[28:], "sample rate: 7 Hz"),
    ],
)
def test_what_is_not_a_usable_wav_is_a_value_error_saying_why(data: bytes, message: str) -> None:
    for function in (wav.duration, wav.rms, wav.to_format):
        with pytest.raises(ValueError, match=message):
            function(data)
    with pytest.raises(ValueError, match=rf"part 2 of 2: .*{message}"):
        wav.join([tone(0.1), data])


def test_bad_arguments_are_value_errors() -> None:
    with pytest.raises(ValueError, match="bytes, not str"):
        wav.duration("RIFF")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="zero seconds or more"):
        wav.silence(-1)
    with pytest.raises(ValueError, match="zero seconds or more"):
        wav.join([tone(0.1)], gap=float("nan"))
    with pytest.raises(ValueError, match="sample rate"):
        wav.to_format(tone(0.1), rate=0)


# --- chime ----------------------------------------------------------------------------------


def test_the_shipped_chime_is_make_chime_byte_for_byte() -> None:
    shipped = chime_path()
    assert shipped == REPO / "assets" / "sounds" / "chime.wav"
    assert shipped.read_bytes() == make_chime(), (
        "assets/sounds/chime.wav is stale: remake it (see hallq.drivers.audio.chime)"
    )


def test_the_chime_is_a_ding_dong_of_the_right_length_and_level() -> None:
    chime = make_chime()
    assert chime == make_chime()  # deterministic
    assert mono16(chime)[:3] == (1, 2, 22050)
    assert 1.2 <= wav.duration(chime) <= 1.8
    with wave.open(io.BytesIO(chime)) as file:
        raw = file.readframes(file.getnframes())
    samples = struct.unpack(f"<{len(raw) // 2}h", raw)
    peak = max(abs(s) for s in samples) / 32768
    assert 20 * math.log10(peak) == pytest.approx(-3, abs=0.2)  # loud, with headroom
    assert wav.rms(chime) > 0.1  # not silence
    assert abs(samples[0]) < 300 and abs(samples[-1]) < 50  # no click at either end
    # Two strikes: the second (at 0.5 s) is louder than the first's tail just before it.
    window = 22050 // 50

    def level(at: float) -> float:
        start = round(at * 22050)
        return math.sqrt(sum(s * s for s in samples[start : start + window]) / window)

    assert level(0.52) > 1.5 * level(0.47)
    assert level(1.5) < 0.2 * level(0.05)  # it dies away
    assert mono16(make_chime(44100))[2:] == (44100, round(1.6 * 44100))


# --- player ---------------------------------------------------------------------------------


@pytest.fixture
def player() -> Iterator[VlcPlayer]:
    with VlcPlayer("dummy") as player:
        yield player


@pytest.fixture
def sounds(tmp_path: Path) -> dict[str, Path]:
    folder = tmp_path / "sounds"
    folder.mkdir()
    files = {
        "long": tone(1.5, frequency=440, amplitude=0.4),
        "short": tone(0.3, frequency=660),
        "garbage": bytes(range(256)) * 200,
    }
    paths = {}
    for name, data in files.items():
        paths[name] = folder / f"{name}.wav"
        paths[name].write_bytes(data)
    return paths


def test_a_wav_plays_to_its_real_end_and_on_playing_comes_early(
    player: VlcPlayer, sounds: dict[str, Path]
) -> None:
    assert "output dummy" in player.describe()
    begun = time.monotonic()
    calls: list[float] = []
    took = player.play(sounds["long"], volume=60, on_playing=lambda: calls.append(time.monotonic()))
    assert 1.5 - 0.1 <= took <= 1.5 + 1.0  # paced by the file, not VLC's early end event
    assert time.monotonic() - begun >= took
    assert len(calls) == 1
    assert calls[0] - begun < 0.5


def test_stop_cuts_the_sound_short_and_the_next_plays_whole(
    player: VlcPlayer, sounds: dict[str, Path]
) -> None:
    started = threading.Event()
    took: list[float] = []
    playing = threading.Thread(
        target=lambda: took.append(player.play(sounds["long"], on_playing=started.set))
    )
    playing.start()
    assert started.wait(5)
    player.stop()
    playing.join(5)
    assert took and took[0] < 1.0  # not the whole 1.5 s
    assert player.play(sounds["short"]) >= 0.3 - 0.1  # a stop does not carry over


def test_missing_and_unplayable_files_are_audio_errors_and_the_player_goes_on(
    player: VlcPlayer, sounds: dict[str, Path], tmp_path: Path
) -> None:
    begun = time.monotonic()
    with pytest.raises(AudioError, match="no such file"):
        player.play(tmp_path / "nowhere.wav")
    called: list[bool] = []
    with pytest.raises(AudioError, match=r"garbage\.wav"):
        player.play(sounds["garbage"], on_playing=lambda: called.append(True))
    assert time.monotonic() - begun < 5
    took = player.play(sounds["short"])
    assert 0.3 - 0.1 <= took < 1.5


def test_a_capture_keeps_what_was_played_numbered_in_order(
    sounds: dict[str, Path], tmp_path: Path
) -> None:
    kept = tmp_path / "played"
    with VlcPlayer("dummy", capture_dir=kept) as player:
        assert str(kept) in player.describe()
        took = player.play(sounds["long"], volume=10)  # the volume does not touch captures
        assert took >= 1.5 - 0.1  # still paced as if heard
        with pytest.raises(AudioError):
            player.play(sounds["garbage"])  # nothing kept of it
        player.play(sounds["short"])
    assert sorted(p.name for p in kept.iterdir()) == ["0001-long.wav", "0002-short.wav"]
    for name, source in (("0001-long.wav", "long"), ("0002-short.wav", "short")):
        captured, original = (kept / name).read_bytes(), sounds[source].read_bytes()
        assert mono16(captured)[:3] == (1, 2, 22050)
        assert wav.duration(captured) == pytest.approx(wav.duration(original), abs=0.1)
        assert wav.rms(captured) == pytest.approx(wav.rms(original), rel=0.1)
    with VlcPlayer("dummy", capture_dir=kept) as player:  # a new player numbers on
        player.play(sounds["short"])
    assert (kept / "0003-short.wav").is_file()
    assert player._scratch is not None and not player._scratch.exists()  # no scratch left


def test_one_item_at_a_time_from_several_threads(
    player: VlcPlayer, sounds: dict[str, Path]
) -> None:
    begun = time.monotonic()
    threads = [threading.Thread(target=player.play, args=(sounds["short"],)) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert time.monotonic() - begun >= 3 * 0.3 - 0.1


def test_a_failing_on_playing_does_not_stop_the_announcement(
    player: VlcPlayer, sounds: dict[str, Path], caplog: pytest.LogCaptureFixture
) -> None:
    def broken() -> None:
        raise RuntimeError("board unreachable")

    with caplog.at_level(logging.ERROR):
        took = player.play(sounds["short"], on_playing=broken)
    assert took >= 0.3 - 0.1
    assert "board unreachable" in caplog.text


def test_bad_calls_and_a_closed_player(player: VlcPlayer, sounds: dict[str, Path]) -> None:
    with pytest.raises(ValueError, match="volume"):
        player.play(sounds["short"], volume=101)
    player.close()
    player.close()  # twice is fine
    with pytest.raises(AudioError, match="closed"):
        player.play(sounds["short"])
    with pytest.raises(AudioError, match="not a VLC audio output"):
        VlcPlayer("--sout=x")


def test_auto_output_falls_back_to_the_null_output_without_a_card(
    monkeypatch: pytest.MonkeyPatch, sounds: dict[str, Path]
) -> None:
    monkeypatch.setattr(player_module, "sound_output_present", lambda: False)
    with VlcPlayer() as player:
        assert "output dummy (no sound card" in player.describe()
        assert player.play(sounds["short"]) >= 0.2


def test_sound_output_detection(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    monkeypatch.delenv("PULSE_SERVER", raising=False)
    cards = Path("/proc/asound/cards")
    has_card = cards.is_file() and "no soundcards" not in cards.read_text()
    assert player_module.sound_output_present() is has_card
    (tmp_path / "pulse").mkdir()
    (tmp_path / "pulse" / "native").touch()
    assert player_module.sound_output_present() is True
    (tmp_path / "pulse" / "native").unlink()
    monkeypatch.setenv("PULSE_SERVER", "tcp:10.0.0.5")
    assert player_module.sound_output_present() is True
