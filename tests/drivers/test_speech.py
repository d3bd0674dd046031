"""Speech engines (espeak-ng, recorded clips, any command) and the cache of what they said.
espeak-ng is installed here and in CI; the other engines get their clips and their program
from the test (tones, a small Python script)."""

from __future__ import annotations

import io
import json
import math
import re
import shlex
import sys
import threading
import time
import unicodedata
import wave
from pathlib import Path
from typing import ClassVar

import pytest

from hallq.drivers import plugins
from hallq.drivers.audio import wav
from hallq.drivers.speech import SpeechCache, SpeechEngine, SpeechError, open_engine
from hallq.drivers.speech.clips import ClipsEngine
from hallq.drivers.speech.command import CommandEngine
from hallq.drivers.speech.espeak import EspeakEngine

CALL_ZH = "請 A 0 2 3 號 到 5 號窗口"
CALL_EN = "Ticket A 0 2 3, please go to window 5"


def tone(seconds: float, frequency: float = 440.0, rate: int = 22050, channels: int = 1) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as file:
        file.setnchannels(channels)
        file.setsampwidth(2)
        file.setframerate(rate)
        frames = bytearray()
        for n in range(round(seconds * rate)):
            value = round(8000 * math.sin(2 * math.pi * frequency * n / rate))
            frames += value.to_bytes(2, "little", signed=True) * channels
        file.writeframes(bytes(frames))
    return out.getvalue()


# --- espeak-ng ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "text"), [("cmn", CALL_ZH), ("yue", CALL_ZH), ("en", CALL_EN)]
)
def test_espeak_says_a_call_in_each_language(language: str, text: str) -> None:
    data = open_engine("espeak").synthesize(text, language)
    assert data[:4] == b"RIFF" and data[8:12] == b"WAVE"
    with wave.open(io.BytesIO(data)) as file:
        assert (file.getnchannels(), file.getsampwidth()) == (1, 2)
    assert wav.duration(data) > 1.0
    assert wav.rms(data) > 0.03  # speech, well above silence (0)


def test_espeak_options_voices_and_speed() -> None:
    engine = EspeakEngine({"voice.cmn": "cmn", "voice.fr": "fr", "speed": "120"})
    assert engine.voices == {"cmn": "cmn", "yue": "yue", "en": "en", "fr": "fr"}
    assert wav.duration(engine.synthesize("un deux trois", "fr")) > 0.5
    slow = wav.duration(engine.synthesize(CALL_EN, "en"))
    fast = wav.duration(EspeakEngine({"speed": "300"}).synthesize(CALL_EN, "en"))
    assert slow > 1.8 * fast
    description = engine.describe()
    assert re.match(r"espeak-ng \d+\.\d+", description), description
    assert "cmn=cmn" in description and "fr=fr" in description and "120 wpm" in description
    assert engine.describe() != EspeakEngine().describe()  # the cache must tell them apart


def test_espeak_text_is_never_read_as_options() -> None:
    data = EspeakEngine().synthesize("--version -w /tmp/x", "en")  # said, on stdin
    assert wav.duration(data) > 0.5


def test_espeak_errors_are_speech_errors_saying_why(tmp_path: Path) -> None:
    engine = EspeakEngine()
    with pytest.raises(SpeechError, match=r"no voice for language 'fr'.*cmn, en, yue.*voice\.fr"):
        engine.synthesize("bonjour", "fr")
    with pytest.raises(SpeechError, match="empty"):
        engine.synthesize("  ", "en")
    missing = EspeakEngine({"binary": str(tmp_path / "no-espeak")})
    with pytest.raises(SpeechError, match=r"not installed or not at .*no-espeak.*apt install"):
        missing.synthesize(CALL_ZH, "cmn")
    assert "cannot run" in missing.describe()  # describing never fails
    with pytest.raises(SpeechError, match=r"exit status 1.*voice does not exist"):
        EspeakEngine({"voice.en": "nonexistent"}).synthesize("hello", "en")
    with pytest.raises(SpeechError, match=r"unknown option.*volume.*the options are: binary"):
        EspeakEngine({"volume": "3"})
    with pytest.raises(SpeechError, match=r"speed .* from 80 to 450: 'fast'"):
        EspeakEngine({"speed": "fast"})


def test_espeak_output_that_is_not_a_wav_is_an_error(tmp_path: Path) -> None:
    fake = tmp_path / "fake-espeak"
    fake.write_text(
        "#!/bin/sh\n"
        'while [ "$1" != "" ]; do if [ "$1" = "-w" ]; then echo junk > "$2"; fi; shift; done\n'
    )
    fake.chmod(0o755)
    with pytest.raises(SpeechError, match=r"bad WAV .*not a WAV file"):
        EspeakEngine({"binary": str(fake)}).synthesize("hello", "en")


def test_engines_are_found_by_name() -> None:
    assert isinstance(open_engine("espeak"), EspeakEngine)
    assert {"espeak", "clips", "command"} <= set(plugins.names(plugins.SPEECH))
    with pytest.raises(plugins.UnknownPlugin, match="no speech engine 'nope'"):
        open_engine("nope")


# --- clips ----------------------------------------------------------------------------------

CLIP_SECONDS = {"請": 0.30, "A": 0.20, "0": 0.15, "2": 0.16, "3": 0.17, "號": 0.25, "到": 0.22}


@pytest.fixture
def clips(tmp_path: Path) -> Path:
    """cmn: a tone per word (lengths above), ``5`` recorded in stereo at 44.1 kHz,
    en: two words, ``café`` named in decomposed Unicode as a Mac names files."""
    folder = tmp_path / "clips"
    (folder / "cmn").mkdir(parents=True)
    (folder / "en").mkdir()
    for frequency, (word, seconds) in enumerate(CLIP_SECONDS.items(), start=4):
        (folder / "cmn" / f"{word}.wav").write_bytes(tone(seconds, 100.0 * frequency))
    (folder / "cmn" / "5.wav").write_bytes(tone(0.18, 500, rate=44100, channels=2))
    (folder / "cmn" / "號窗口.wav").write_bytes(tone(0.4))
    (folder / "cmn" / "notes.txt").write_text("not a clip")
    (folder / "en" / "please.wav").write_bytes(tone(0.3))
    (folder / "en" / f"{unicodedata.normalize('NFD', 'café')}.wav").write_bytes(tone(0.25))
    return folder


def test_clips_are_joined_with_a_short_gap(clips: Path) -> None:
    engine = open_engine("clips", {"folder": str(clips), "gap": "0.1"})
    data = engine.synthesize(CALL_ZH, "cmn")
    words = CALL_ZH.split()
    expected = sum(CLIP_SECONDS.get(w, 0.18 if w == "5" else 0.4) for w in words)
    assert wav.duration(data) == pytest.approx(expected + 0.1 * (len(words) - 1), abs=0.005)
    assert wav.rms(data) > 0.1
    with wave.open(io.BytesIO(data)) as file:
        assert (file.getnchannels(), file.getsampwidth(), file.getframerate()) == (1, 2, 22050)


def test_clips_are_found_ignoring_case_and_punctuation(clips: Path) -> None:
    engine = ClipsEngine({"folder": str(clips), "gap": "0"})
    assert wav.duration(engine.synthesize("a 3, 。", "cmn")) == pytest.approx(0.37, abs=0.002)
    assert wav.duration(engine.synthesize("Please!", "en")) == pytest.approx(0.3, abs=0.002)
    assert wav.duration(engine.synthesize("Café", "en")) == pytest.approx(0.25, abs=0.002)
    assert engine.languages() == ["cmn", "en"]


def test_a_missing_clip_is_named(clips: Path) -> None:
    engine = ClipsEngine({"folder": str(clips)})
    with pytest.raises(SpeechError) as raised:
        engine.synthesize("請 B 0 2 3 號", "cmn")
    message = str(raised.value)
    assert "'B'" in message and "'cmn'" in message and str(clips / "cmn" / "B.wav") in message
    with pytest.raises(SpeechError, match=r"no clips for language 'yue' .*there are: cmn, en"):
        engine.synthesize("請", "yue")
    with pytest.raises(SpeechError, match=r"no clips for language '\.\.'"):
        engine.synthesize("請", "..")
    with pytest.raises(SpeechError, match="no words"):
        engine.synthesize(" , ", "cmn")
    (clips / "cmn" / "到.wav").write_bytes(b"RIFF? not really")
    with pytest.raises(SpeechError, match=r"cannot use the clip .*到\.wav: not a WAV"):
        engine.synthesize("請 到", "cmn")
    with pytest.raises(SpeechError, match="needs the option folder"):
        ClipsEngine()
    with pytest.raises(SpeechError, match="does not exist"):
        ClipsEngine({"folder": str(clips / "nowhere")})


def test_clips_describe_themselves_by_content(clips: Path) -> None:
    engine = ClipsEngine({"folder": str(clips)})
    before = engine.describe()
    assert before == engine.describe()
    (clips / "cmn" / "9.wav").write_bytes(tone(0.1))  # a clip added or recorded again
    assert engine.describe() != before


# --- command --------------------------------------------------------------------------------

SCRIPT = """\
import json, math, struct, sys, wave

args = sys.argv[1:]
text = sys.stdin.read() if "--stdin" in args else args[args.index("--text") + 1]
if "fail" in text:
    sys.stderr.write("mytts: model for " + args[0] + " not found\\n")
    sys.exit(3)
if "silent" in text:
    sys.exit(0)
with open(args[args.index("--log") + 1], "a", encoding="utf-8") as log:
    log.write(json.dumps({"args": args, "text": text}) + "\\n")
out = args[args.index("--out") + 1] if "--out" in args else None
frames = b"".join(
    struct.pack("<h", int(6000 * math.sin(n / 5))) for n in range(220 * len(text))
)
target = open(out, "wb") if out else sys.stdout.buffer
with wave.open(target, "wb") as file:
    file.setnchannels(1); file.setsampwidth(2); file.setframerate(22050)
    file.writeframes(frames)
"""


@pytest.fixture
def tts(tmp_path: Path) -> tuple[str, Path]:
    """A command line that runs the script above, and the log of what it was given."""
    script = tmp_path / "mytts.py"
    script.write_text(SCRIPT, encoding="utf-8")
    log = tmp_path / "said.jsonl"
    return f"{shlex.quote(sys.executable)} {shlex.quote(str(script))}", log


def said(log: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]


def test_a_command_speaks_and_its_text_is_one_literal_argument(
    tts: tuple[str, Path], tmp_path: Path
) -> None:
    command, log = tts
    engine = open_engine(
        "command",
        {
            "command": f"{command} {{language}} --voice {{voice}} --out {{output}} --text {{text}} "
            f"--log {log}",
            "voice.cmn": "zh-tw-female",
        },
    )
    victim = tmp_path / "x"
    victim.mkdir()
    for text in (CALL_ZH, f"A 1 ; rm -rf {victim}", "$(touch pwned) `id` {output} 'q\" \\"):
        data = engine.synthesize(text, "cmn")
        assert wav.duration(data) == pytest.approx(220 * len(text) / 22050)
        assert said(log)[-1]["text"] == text
    assert victim.is_dir() and not Path("pwned").exists() and not (tmp_path / "pwned").exists()
    first = said(log)[0]["args"]
    assert first[:3] == ["cmn", "--voice", "zh-tw-female"]
    assert first[4].endswith("speech.wav") and not Path(first[4]).exists()  # temporary
    assert engine.synthesize("hello", "en")  # no voice.en: {voice} is the language
    assert said(log)[-1]["args"][:3] == ["en", "--voice", "en"]


def test_a_command_may_read_stdin_and_write_stdout(tts: tuple[str, Path]) -> None:
    command, log = tts
    engine = CommandEngine({"command": f"{command} yue --stdin --log {log}"})
    data = engine.synthesize(CALL_ZH, "yue")
    assert wav.duration(data) == pytest.approx(220 * len(CALL_ZH) / 22050)
    assert said(log)[-1]["text"] == CALL_ZH


def test_a_failing_command_is_a_speech_error_with_its_stderr(
    tts: tuple[str, Path], tmp_path: Path
) -> None:
    command, _log = tts
    engine = CommandEngine({"command": f"{command} {{language}} --out {{output}} --text {{text}}"})
    with pytest.raises(SpeechError, match=r"exit status 3\): mytts: model for cmn not found"):
        engine.synthesize("fail now", "cmn")
    with pytest.raises(SpeechError, match=r"wrote no WAV"):
        engine.synthesize("silent", "cmn")
    with pytest.raises(SpeechError, match=r"'/nonexistent/tts' is not installed"):
        CommandEngine({"command": "/nonexistent/tts {text}"}).synthesize("hi", "en")
    sleeper = tmp_path / "sleep.py"
    sleeper.write_text("import time\ntime.sleep(30)\n")
    slow = CommandEngine(
        {"command": f"{shlex.quote(sys.executable)} {sleeper} {{text}}", "timeout": "0.5"}
    )
    begun = time.monotonic()
    with pytest.raises(SpeechError, match=r"more than 0.5 s .*stopped"):
        slow.synthesize("hello", "en")
    assert time.monotonic() - begun < 5
    with pytest.raises(SpeechError, match="needs the option command"):
        CommandEngine({})
    with pytest.raises(SpeechError, match="cannot read the speech command"):
        CommandEngine({"command": "tts 'unclosed"})


def test_a_command_describes_its_template_and_version() -> None:
    one = CommandEngine({"command": "tts {text}", "version": "2"})
    assert one.describe() == "command tts {text}; version 2"
    assert one.describe() != CommandEngine({"command": "tts {text}", "version": "3"}).describe()


# --- cache ----------------------------------------------------------------------------------


class FakeEngine(SpeechEngine):
    """Counts its calls; says each text as a tone as long as the text (slowly, if asked)."""

    name: ClassVar[str] = "fake"

    def __init__(self, description: str = "fake 1", delay: float = 0.0) -> None:
        super().__init__()
        self.description, self.delay = description, delay
        self.calls: list[tuple[str, str]] = []
        self.lock = threading.Lock()
        self.fail_with: bytes | Exception | None = None

    def describe(self) -> str:
        return self.description

    def synthesize(self, text: str, language: str) -> bytes:
        with self.lock:
            self.calls.append((text, language))
        time.sleep(self.delay)
        if isinstance(self.fail_with, Exception):
            raise self.fail_with
        if self.fail_with is not None:
            return self.fail_with
        return tone(0.01 * len(text))


def test_the_cache_synthesises_each_phrase_once(tmp_path: Path) -> None:
    engine = FakeEngine()
    cache = SpeechCache(tmp_path / "speech", engine)
    assert not cache.cached(CALL_ZH, "cmn")
    first = cache.wav(CALL_ZH, "cmn")
    assert cache.cached(CALL_ZH, "cmn")
    assert cache.wav(CALL_ZH, "cmn") == first
    assert engine.calls == [(CALL_ZH, "cmn")]
    assert first.read_bytes() == tone(0.01 * len(CALL_ZH))
    others = {
        cache.wav(CALL_ZH, "yue"),
        cache.wav("請 A 0 2 4 號 到 5 號窗口", "cmn"),
        SpeechCache(tmp_path / "speech", FakeEngine("fake 2")).wav(CALL_ZH, "cmn"),
    }
    assert len(others | {first}) == 4
    assert sorted(p.name for p in (tmp_path / "speech").iterdir()) == sorted(
        p.name for p in others | {first}
    )  # nothing but the phrases: no temporary file left


def test_threads_asking_for_one_phrase_synthesise_it_once(tmp_path: Path) -> None:
    engine = FakeEngine(delay=0.2)
    cache = SpeechCache(tmp_path / "speech", engine)
    start = threading.Barrier(8)
    results: list[Path] = []

    def ask() -> None:
        start.wait()
        results.append(cache.wav(CALL_EN, "en"))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert len(results) == 8 and len(set(results)) == 1
    assert engine.calls == [(CALL_EN, "en")]
    assert [p.name for p in (tmp_path / "speech").iterdir()] == [results[0].name]
    assert cache._locks == {}  # nothing kept per phrase once it is made


def test_what_fails_is_not_cached(tmp_path: Path) -> None:
    engine = FakeEngine()
    cache = SpeechCache(tmp_path / "speech", engine)
    engine.fail_with = SpeechError("engine down")
    with pytest.raises(SpeechError, match="engine down"):
        cache.wav("hello", "en")
    engine.fail_with = b"not a wav"
    with pytest.raises(SpeechError, match="fake 1 gave no usable WAV for 'hello' in en"):
        cache.wav("hello", "en")
    assert not cache.cached("hello", "en")
    engine.fail_with = None
    assert wav.duration(cache.wav("hello", "en").read_bytes()) == pytest.approx(0.05, abs=1 / 22050)
    assert len(engine.calls) == 3
    assert len(list((tmp_path / "speech").iterdir())) == 1


def test_espeak_through_the_cache(tmp_path: Path) -> None:
    cache = SpeechCache(tmp_path / "speech", EspeakEngine())
    path = cache.wav(CALL_ZH, "cmn")
    assert wav.duration(path.read_bytes()) > 1.0
    assert cache.wav(CALL_ZH, "cmn") == path
    assert cache.wav(CALL_ZH, "yue") != path


def test_the_cache_file_name_mixes_engine_language_and_text(tmp_path: Path) -> None:
    cache = SpeechCache(tmp_path, FakeEngine("e"))
    # Language "a" with text "b c" is not language "a b" with text "c", whatever the joiner.
    for joiner in ("", " ", "\0", '", "'):
        assert cache.path(f"b{joiner}c", "a") != cache.path("c", f"a{joiner}b")
    assert re.fullmatch(r"[0-9a-f]{64}\.wav", cache.path("x", "en").name)
