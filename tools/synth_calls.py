"""Synthesize the test corpus of reminder calls, with their expected violations.

Needs Debian's festival + festvox-ru (Russian), espeak-ng (English, and a second voice) and sox.
The results are committed under tests/fixtures/calls/, so the tests need none of these.

    python tools/synth_calls.py [--out tests/fixtures/calls]

Each call is a list of turns (speaker, language, text). Stereo files put the rep on the left
(or right, for `rep-right` files) and the client on the other channel; mono files mix both;
`noisy` versions are band-limited to the telephone band (300-3400 Hz, 8 kHz) with added noise.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

RATE = 16000

GREETING_RU = "Здравствуйте, меня зовут Анна, я представитель банка."
GREETING_RU_PARA = "Добрый день! Меня зовут Ольга, я представитель вашего банка."
GREETING_EN = "Hello, my name is Anna, I am calling from the bank."
ADDRESS_RU = "Давайте уточним адрес встречи: улица Ленина, дом пять."
ADDRESS_RU_PARA = "Подтвердите, пожалуйста, адрес нашей встречи, улица Гагарина, дом двенадцать."
ADDRESS_EN = "Let me confirm the address of our meeting, Lenin street, house five."
PASSPORT_RU = "Не забудьте паспорт."
PASSPORT_RU_PARA = "И не забудьте, пожалуйста, ваш паспорт."
PASSPORT_RU_PARA2 = "Для оформления карты вам понадобится ваш паспорт."
PASSPORT_EN = "Please bring your passport to the meeting."
REMINDER_RU = "Напоминаю, что сегодня в два часа у нас встреча для подписания договора."
REMINDER_EN = "I am reminding you about our meeting today at two o'clock."
FORCED_RU = "Давайте лучше встретимся у метро, мне так удобнее."
FORCED_EN = "Let us meet near the station instead, it is more convenient for me."
BYE_RU = "Спасибо, до встречи!"
BYE_EN = "Thank you, see you soon!"

CLIENT_YES_RU = "Да, здравствуйте, слушаю вас."
CLIENT_OK_RU = "Да, все верно, я буду дома."
CLIENT_THANKS_RU = "Хорошо, спасибо, до свидания."
CLIENT_NO_RU = "Sorry, I do not understand Russian. Can we speak English?"
CLIENT_YES_EN = "Yes, hello, who is calling?"
CLIENT_OK_EN = "Yes, that is right, I will be at home."
CLIENT_THANKS_EN = "Great, thank you, goodbye."
CLIENT_CONVENIENT_RU = "Мне так удобнее, приезжайте ко мне домой."
CLIENT_PASSPORT_RU = "А паспорт мне нужен?"
SMALLTALK_RU = "Сегодня хорошая погода, на улице тепло и солнечно."


@dataclass(frozen=True)
class Call:
    name: str
    turns: tuple[tuple[str, str, str], ...]  # (speaker, language, text)
    violations: tuple[str, ...]
    english_meeting: bool = False
    # violations that differ in mono, where every word counts as the rep's
    mono_violations: tuple[str, ...] | None = None
    note: str = ""


def rep(lang: str, text: str) -> tuple[str, str, str]:
    return ("rep", lang, text)


def client(lang: str, text: str) -> tuple[str, str, str]:
    return ("client", lang, text)


CALLS: tuple[Call, ...] = (
    Call("compliant_ru", (
        rep("ru", GREETING_RU), client("ru", CLIENT_YES_RU), rep("ru", REMINDER_RU),
        rep("ru", ADDRESS_RU), client("ru", CLIENT_OK_RU), rep("ru", PASSPORT_RU),
        client("ru", CLIENT_THANKS_RU), rep("ru", BYE_RU)), ()),
    Call("paraphrase_ru", (
        rep("ru", GREETING_RU_PARA), client("ru", CLIENT_YES_RU), rep("ru", REMINDER_RU),
        rep("ru", ADDRESS_RU_PARA), client("ru", CLIENT_OK_RU), rep("ru", PASSPORT_RU_PARA),
        client("ru", CLIENT_THANKS_RU), rep("ru", BYE_RU)), (), note="inserted words, other word forms"),
    Call("paraphrase2_ru", (
        rep("ru", "Алло, добрый день. Я представитель банка, меня зовут Марина."), client("ru", CLIENT_YES_RU),
        rep("ru", "Звоню напомнить о нашей встрече."),
        rep("ru", "Давайте уточним ваш адрес для встречи."), client("ru", CLIENT_OK_RU),
        rep("ru", PASSPORT_RU_PARA2), client("ru", CLIENT_THANKS_RU), rep("ru", BYE_RU)), ()),
    Call("missing_greeting_ru", (
        rep("ru", REMINDER_RU), client("ru", CLIENT_YES_RU), rep("ru", ADDRESS_RU),
        client("ru", CLIENT_OK_RU), rep("ru", PASSPORT_RU), client("ru", CLIENT_THANKS_RU), rep("ru", BYE_RU)),
        ("greeting",)),
    Call("missing_passport_ru", (
        rep("ru", GREETING_RU), client("ru", CLIENT_YES_RU), rep("ru", REMINDER_RU), rep("ru", ADDRESS_RU),
        client("ru", CLIENT_OK_RU), rep("ru", SMALLTALK_RU), client("ru", CLIENT_THANKS_RU), rep("ru", BYE_RU)),
        ("passport_reminder",)),
    Call("client_asks_passport_ru", (
        rep("ru", GREETING_RU), client("ru", CLIENT_YES_RU), rep("ru", REMINDER_RU), rep("ru", ADDRESS_RU),
        client("ru", CLIENT_PASSPORT_RU), rep("ru", "Да, конечно."), client("ru", CLIENT_THANKS_RU),
        rep("ru", BYE_RU)),
        ("passport_reminder",), mono_violations=("passport_reminder",),
        note="only the client mentions the passport"),
    Call("missing_address_ru", (
        rep("ru", GREETING_RU), client("ru", CLIENT_YES_RU), rep("ru", REMINDER_RU),
        client("ru", CLIENT_OK_RU), rep("ru", PASSPORT_RU), client("ru", CLIENT_THANKS_RU), rep("ru", BYE_RU)),
        ("address_confirmation",)),
    Call("missing_all_ru", (
        rep("ru", "Алло, это банк."), client("ru", CLIENT_YES_RU), rep("ru", REMINDER_RU),
        client("ru", CLIENT_THANKS_RU), rep("ru", BYE_RU)),
        ("greeting", "address_confirmation", "passport_reminder")),
    Call("forced_location_ru", (
        rep("ru", GREETING_RU), client("ru", CLIENT_YES_RU), rep("ru", REMINDER_RU), rep("ru", FORCED_RU),
        client("ru", CLIENT_OK_RU), rep("ru", ADDRESS_RU), rep("ru", PASSPORT_RU), client("ru", CLIENT_THANKS_RU),
        rep("ru", BYE_RU)), ("forced_location",)),
    Call("client_convenient_ru", (
        rep("ru", GREETING_RU), client("ru", CLIENT_YES_RU), rep("ru", REMINDER_RU), rep("ru", ADDRESS_RU),
        client("ru", CLIENT_CONVENIENT_RU), rep("ru", PASSPORT_RU), client("ru", CLIENT_THANKS_RU),
        rep("ru", BYE_RU)), (), mono_violations=("forced_location",),
        note="the client, not the rep, says the forbidden phrase"),
    Call("wrong_language_en", (
        rep("en", GREETING_EN), client("ru", CLIENT_YES_RU), rep("en", REMINDER_EN), rep("en", ADDRESS_EN),
        client("ru", CLIENT_OK_RU), rep("en", PASSPORT_EN), client("ru", CLIENT_THANKS_RU), rep("en", BYE_EN)),
        ("wrong_language",),
        note="rep speaks English unasked: wrong language, and only that (one fault, one violation)"),
    Call("switch_to_english", (
        rep("ru", GREETING_RU), client("en", CLIENT_NO_RU), rep("en", GREETING_EN), client("en", CLIENT_YES_EN),
        rep("en", REMINDER_EN), rep("en", ADDRESS_EN), client("en", CLIENT_OK_EN), rep("en", PASSPORT_EN),
        client("en", CLIENT_THANKS_EN), rep("en", BYE_EN)), (),
        note="client says they do not understand Russian; the switch is allowed"),
    Call("switch_mid_call", (
        rep("ru", GREETING_RU), client("ru", CLIENT_YES_RU), rep("ru", REMINDER_RU), rep("en", ADDRESS_EN),
        client("ru", CLIENT_OK_RU), rep("en", PASSPORT_EN), client("ru", CLIENT_THANKS_RU), rep("ru", BYE_RU)),
        ("wrong_language",),
        note="rep switches to English mid-call with no reason: wrong language only, the phrases were said"),
    Call("english_meeting", (
        rep("en", GREETING_EN), client("en", CLIENT_YES_EN), rep("en", REMINDER_EN), rep("en", ADDRESS_EN),
        client("en", CLIENT_OK_EN), rep("en", PASSPORT_EN), client("en", CLIENT_THANKS_EN), rep("en", BYE_EN)),
        (), english_meeting=True),
    Call("english_meeting_missing_passport", (
        rep("en", GREETING_EN), client("en", CLIENT_YES_EN), rep("en", REMINDER_EN), rep("en", ADDRESS_EN),
        client("en", CLIENT_OK_EN), rep("en", "Have a nice day."), client("en", CLIENT_THANKS_EN), rep("en", BYE_EN)),
        ("passport_reminder",), english_meeting=True),
    Call("english_meeting_russian_rep", (
        rep("ru", GREETING_RU), client("en", CLIENT_YES_EN), rep("ru", REMINDER_RU), rep("ru", ADDRESS_RU),
        client("en", CLIENT_OK_EN), rep("ru", PASSPORT_RU), client("en", CLIENT_THANKS_EN), rep("ru", BYE_RU)),
        ("wrong_language",), english_meeting=True),
    Call("english_meeting_forced", (
        rep("en", GREETING_EN), client("en", CLIENT_YES_EN), rep("en", REMINDER_EN), rep("en", FORCED_EN),
        rep("en", ADDRESS_EN), client("en", CLIENT_OK_EN), rep("en", PASSPORT_EN), client("en", CLIENT_THANKS_EN)),
        ("forced_location",), english_meeting=True),
    Call("late_greeting_ru", (
        rep("ru", REMINDER_RU), client("ru", "Подождите, я не расслышал, кто это звонит?"),
        rep("ru", SMALLTALK_RU), client("ru", "Да, погода отличная, но кто вы?"),
        rep("ru", "Я звоню по поводу вашей заявки на кредитную карту, она уже готова."),
        client("ru", "Хорошо, я понял, это очень хорошая новость."),
        rep("ru", "Карту привезет курьер, это бесплатно, оформление займет пятнадцать минут."),
        rep("ru", GREETING_RU), client("ru", CLIENT_OK_RU), rep("ru", ADDRESS_RU), rep("ru", PASSPORT_RU),
        rep("ru", BYE_RU)), ("greeting",), note="the greeting comes after 30 seconds"),
    Call("personal_numbers_ru", (
        rep("ru", GREETING_RU),
        client("ru", "Да, мой телефон восемь девятьсот шестнадцать сто двадцать три сорок пять шестьдесят семь."),
        rep("ru", ADDRESS_RU), rep("ru", PASSPORT_RU),
        client("ru", "Серия паспорта сорок пять двенадцать, номер триста сорок пять шестьсот семьдесят восемь."),
        rep("ru", BYE_RU)), (), note="phone and passport numbers must be masked in the transcript"),
)

# (variant suffix, layout, noisy, container)
VARIANTS = (
    ("stereo", "rep-left", False, "ogg"),
    ("mono_noisy", "mono", True, "mp3"),
)
EXTRA_VARIANTS = {
    "compliant_ru": (("rightrep", "rep-right", False, "m4a"), ("mono", "mono", False, "flac"),
                     ("stereo_noisy", "rep-left", True, "wav")),
    "missing_passport_ru": (("stereo_noisy", "rep-left", True, "wav"),),
    "switch_to_english": (("stereo_noisy", "rep-left", True, "ogg"),),
}


@dataclass(frozen=True)
class Voice:
    """One synthesizer voice: the engine, its own settings, and sox effects applied after it."""

    engine: str  # festival-ru | festival-en | espeak
    name: str = ""  # espeak-ng voice (ru+f3, en-us+m3) or festival voice (kal_diphone, cmu_us_slt_arctic_hts)
    speed: int = 150  # espeak-ng words per minute
    pitch: int | None = None  # espeak-ng pitch 0-99; None: the voice's own
    effects: tuple[str, ...] = ()  # sox effects after resampling ("pitch", "350", "tempo", "1.05")

    @property
    def label(self) -> str:
        parts = [self.engine, self.name] if self.name else [self.engine]
        if self.engine == "espeak":
            parts.append(f"s{self.speed}" + (f"p{self.pitch}" if self.pitch is not None else ""))
        if self.effects:
            parts.append("".join(self.effects).replace(" ", ""))
        return ":".join(parts)


FESTIVAL_RU = Voice("festival-ru")
# A second, higher voice from the same synthesizer (the client's in Russian).
FESTIVAL_RU_HIGH = Voice("festival-ru", effects=("pitch", "350", "tempo", "1.05"))
ESPEAK_EN_REP = Voice("espeak", "en-us+m3")
ESPEAK_EN_CLIENT = Voice("espeak", "en-gb+f3")


def synth_voice(text: str, voice: Voice, workdir: Path, index: int) -> np.ndarray:
    """`text` spoken by `voice`, as 16 kHz mono float32 samples."""
    raw = workdir / f"turn{index}.wav"
    if voice.engine in ("festival-ru", "festival-en"):
        text_file = workdir / f"turn{index}.txt"
        text_file.write_text(text, encoding="utf-8")
        name = voice.name or "msu_ru_nsh_clunits"
        subprocess.run(["text2wave", "-eval", f"(voice_{name})", str(text_file), "-o", str(raw)],
                       check=True, capture_output=True)
    else:
        command = ["espeak-ng", "-v", voice.name, "-s", str(voice.speed)]
        if voice.pitch is not None:
            command += ["-p", str(voice.pitch)]
        subprocess.run([*command, "-w", str(raw), text], check=True, capture_output=True)
    return resample(raw, voice, workdir / f"turn{index}_16k.raw")


def resample(raw: Path, voice: Voice, out: Path) -> np.ndarray:
    """A synthesizer's wav file to 16 kHz mono float32 samples, with the voice's sox effects."""
    subprocess.run(["sox", str(raw), "-t", "raw", "-e", "floating-point", "-b", "32", "-r", str(RATE), str(out),
                    "rate", str(RATE), "channels", "1", *voice.effects], check=True, capture_output=True)
    return np.fromfile(out, dtype=np.float32)


def synth(lang: str, text: str, speaker: str, workdir: Path, index: int) -> np.ndarray:
    if lang == "ru":
        voice = FESTIVAL_RU_HIGH if speaker == "client" else FESTIVAL_RU
    else:
        voice = ESPEAK_EN_REP if speaker == "rep" else ESPEAK_EN_CLIENT
    return synth_voice(text, voice, workdir, index)


def render(call: Call, workdir: Path, rng: random.Random) -> tuple[np.ndarray, np.ndarray, list[dict]]:
    timeline = []
    cursor = int(rng.uniform(0.4, 0.9) * RATE)
    pieces = []
    for index, (speaker, lang, text) in enumerate(call.turns):
        audio = synth(lang, text, speaker, workdir, index) * 0.8
        pieces.append((cursor, speaker, audio))
        timeline.append({"speaker": speaker, "language": lang, "text": text,
                         "start_s": round(cursor / RATE, 2), "end_s": round((cursor + len(audio)) / RATE, 2)})
        cursor += len(audio) + int(rng.uniform(0.5, 0.9) * RATE)
    total = cursor + int(0.5 * RATE)
    return (*place(pieces, total), timeline)


def place(pieces: list[tuple[int, str, np.ndarray]], total: int) -> tuple[np.ndarray, np.ndarray]:
    """The rep's and the client's channels, `total` samples long, each (start, speaker, audio) piece in place."""
    rep_channel = np.zeros(total, dtype=np.float32)
    client_channel = np.zeros(total, dtype=np.float32)
    for start, speaker, audio in pieces:
        target = rep_channel if speaker == "rep" else client_channel
        target[start:start + len(audio)] += audio
    return rep_channel, client_channel


def telephone_band(channel: np.ndarray) -> np.ndarray:
    """16 kHz samples to the telephone band (300-3400 Hz) at 8 kHz, with sox so the filter is a real one."""
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "in.raw", Path(tmp) / "out.raw"
        channel.astype(np.float32).tofile(src)
        fmt = ["-t", "raw", "-e", "floating-point", "-b", "32", "-c", "1"]
        subprocess.run(["sox", *fmt, "-r", str(RATE), str(src), *fmt, "-r", "8000", str(dst),
                        "sinc", "300-3400", "rate", "8000"], check=True, capture_output=True)
        return np.fromfile(dst, dtype=np.float32)


def degrade(channel: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Telephone band and line noise."""
    narrow = telephone_band(channel)
    noise = rng.normal(0, 0.012, len(narrow)).astype(np.float32)
    hum = (0.006 * np.sin(2 * np.pi * 50 * np.arange(len(narrow)) / 8000)).astype(np.float32)
    return np.clip(narrow + noise + hum, -1, 1)


def encode(path: Path, channels: list[np.ndarray], rate: int, container: str, bit_rate: int | None = None) -> None:
    """Write the channels with the container's usual codec; `bit_rate` overrides its default bit rate."""
    codec = {"ogg": "libopus", "mp3": "libmp3lame", "m4a": "aac", "flac": "flac", "wav": "pcm_s16le"}[container]
    layout = "stereo" if len(channels) == 2 else "mono"
    out_rate = 48000 if codec == "libopus" else rate
    samples = np.stack(channels).astype(np.float32)
    with av.open(str(path), "w") as output:
        stream = output.add_stream(codec, rate=out_rate, layout=layout)
        if bit_rate is not None:
            stream.bit_rate = bit_rate
        elif codec == "libopus":
            stream.bit_rate = 32000
        elif codec in ("libmp3lame", "aac"):
            stream.bit_rate = 48000
        frame = av.AudioFrame.from_ndarray(samples, format="fltp", layout=layout)
        frame.sample_rate = rate
        for packet in stream.encode(frame):
            output.mux(packet)
        for packet in stream.encode(None):
            output.mux(packet)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="tests/fixtures/calls")
    parser.add_argument("--only", nargs="*", help="names of calls to (re)make")
    args = parser.parse_args()
    for tool in ("text2wave", "espeak-ng", "sox"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is missing: apt-get install festival festvox-ru espeak-ng sox")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    labels_path = out / "labels.json"
    labels = json.loads(labels_path.read_text()) if labels_path.exists() else {}
    for number, call in enumerate(CALLS):
        if args.only and call.name not in args.only:
            continue
        rng = random.Random(number)
        noise_rng = np.random.default_rng(number)
        with tempfile.TemporaryDirectory() as tmp:
            rep_channel, client_channel, timeline = render(call, Path(tmp), rng)
        for suffix, layout, noisy, container in VARIANTS + EXTRA_VARIANTS.get(call.name, ()):
            if noisy:
                rep_out, client_out, rate = degrade(rep_channel, noise_rng), degrade(client_channel, noise_rng), 8000
            else:
                rep_out, client_out, rate = rep_channel, client_channel, RATE
            if layout == "mono":
                channels = [np.clip(rep_out + client_out, -1, 1)]
                expected = call.mono_violations if call.mono_violations is not None else call.violations
            elif layout == "rep-right":
                channels, expected = [client_out, rep_out], call.violations
            else:
                channels, expected = [rep_out, client_out], call.violations
            filename = f"{call.name}.{suffix}.{container}"
            encode(out / filename, channels, rate, container)
            labels[filename] = {
                "call": call.name, "layout": layout, "noisy": noisy, "english_meeting": call.english_meeting,
                "violations": sorted(expected), "note": call.note, "turns": timeline,
            }
            print(f"{filename}: {sorted(expected) or 'compliant'}")
    labels_path.write_text(json.dumps(dict(sorted(labels.items())), ensure_ascii=False, indent=1) + "\n")


if __name__ == "__main__":
    main()
