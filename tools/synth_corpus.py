"""Synthesize the accuracy corpus: corpus/dev and corpus/test, split once by case.

    python tools/synth_corpus.py [--out corpus] [--jobs 2] [--only CASE ...]

tests/fixtures/calls (tools/synth_calls.py) is the suite's own small corpus, and the bot scores
1.00 on it; this one is several times larger and varied on purpose, so that its figures mean something
on calls nobody tuned for:

- voices: festival's Russian voice shifted in pitch and tempo, espeak-ng's Russian and English variants
  (+f1..+f4, +m1..+m7, other pitch and speed), festival's English diphone and HTS voices;
- paraphrases written from the meaning, not from the script's words (each shares at most one content word
  with any of the criterion's examples), and near misses: negations, similar sentences about something
  else, the client saying the phrase, the greeting after its time limit, the client speaking English,
  a few English words in a Russian call, a switch of language with and without the client's reason;
- fillers and false starts, the client talking over the rep, long pauses, long calls (2-4 minutes);
- renderings: clean stereo, and a noisy telephone mono (8 kHz, 300-3400 Hz) of every case, with noise of
  several kinds (white, pink, babble, street, hum, office) at several SNRs, a GSM, AMR-NB or G.711
  round trip, mp3 or opus storage; some cases also as rep-right, noisy stereo, clipped, or harsher mono.

Every case is a scenario built from sentence pools. Paraphrases and near misses have a pool per split, so
a sentence used in a test case never appears in a development case; every scenario is built once for
each split (with other voices, noise and sentences), so both halves hold every criterion's positives and
negatives and every tag. Tune on dev only; test is for reporting.

labels.json per split, one entry per file, in the shape of tests/fixtures/calls/labels.json (call,
layout, noisy, english_meeting, violations, note, turns) plus case, split, tags, voices and rendering.
Each turn carries its role: `script:<criterion>` (close to the script's examples), `paraphrase:<criterion>`,
`near_miss:<criterion>`, `filler:<criterion>` (the script's words with fillers and restarts),
`client:<criterion>` (the client saying the criterion's words), `permission` (the client asking for
English), or "" (anything else). `violations` are what the spec asks for on that layout: in mono every word
counts as the rep's, so a phrase only the client said counts there (the spec's "rep criteria match all
speech"), while the language rule is about the rep whatever the layout.

Needs festival + festvox-ru + festvox-kallpc16k + festvox-us-slt-hts, espeak-ng and sox with its AMR-NB
and GSM handlers (libsox-fmt-all). Deterministic: the same sources give the same audio and labels.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tools.synth_calls import (  # noqa: E402
    RATE,
    Voice,
    encode,
    place,
    resample,
    synth_voice,
    telephone_band,
)

SPLITS = ("dev", "test")
PHONE_RATE = 8000
GREETING_LIMIT_S = 30.0  # the default script's within_seconds for the greeting
LONG_CALL_S = 100.0
LONG_PAUSE_S = 4.0
WRONG_LANGUAGE = "wrong_language"

# ---------------------------------------------------------------------------------------------------
# Voices
# ---------------------------------------------------------------------------------------------------

REP_RU_VOICES = (
    Voice("festival-ru"),
    Voice("festival-ru", effects=("pitch", "-150", "tempo", "0.92")),
    Voice("festival-ru", effects=("pitch", "200", "tempo", "1.12")),
    Voice("festival-ru", effects=("pitch", "450", "tempo", "0.97")),  # a higher, female-like voice
    Voice("festival-ru", effects=("tempo", "1.25")),  # a fast talker
    Voice("festival-ru", effects=("pitch", "300", "tempo", "1.0", "treble", "-6")),  # muffled
)
# espeak-ng's Russian is hard for Whisper base; used slowly, for a share of the reps (tag voice:espeak-ru).
REP_RU_ESPEAK = (
    Voice("espeak", "ru+m1", speed=115, pitch=40),
    Voice("espeak", "ru+f2", speed=118, pitch=60),
    Voice("espeak", "ru+m5", speed=112, pitch=50),
)
CLIENT_RU_VOICES = (
    Voice("festival-ru", effects=("pitch", "350", "tempo", "1.05")),
    Voice("festival-ru", effects=("pitch", "600", "tempo", "1.0")),
    Voice("festival-ru", effects=("pitch", "-250", "tempo", "0.95")),
    Voice("espeak", "ru+f3", speed=125, pitch=65),
    Voice("espeak", "ru+m4", speed=130, pitch=35),
    Voice("espeak", "ru+f1", speed=120, pitch=55),
    Voice("espeak", "ru+m7", speed=120, pitch=45),
)
REP_EN_VOICES = (
    Voice("espeak", "en-us+m3", speed=150),
    Voice("espeak", "en-gb+m5", speed=140, pitch=40),
    Voice("espeak", "en-us+f4", speed=160, pitch=60),
    Voice("festival-en", "kal_diphone"),
    Voice("festival-en", "cmu_us_slt_arctic_hts"),
    Voice("espeak", "en-us+m6", speed=175, pitch=30),
)
CLIENT_EN_VOICES = (
    Voice("espeak", "en-gb+f3", speed=150),
    Voice("espeak", "en-us+m7", speed=170),
    Voice("festival-en", "kal_diphone", effects=("pitch", "300")),
    Voice("festival-en", "cmu_us_slt_arctic_hts", effects=("tempo", "1.1")),
    Voice("espeak", "en-gb+f1", speed=140, pitch=70),
    Voice("espeak", "en-us+m2", speed=155, pitch=45),
)

# ---------------------------------------------------------------------------------------------------
# Sentences. Shared pools (neutral talk, the script's own wording) may appear in both splits; the
# paraphrase and near-miss pools are per split, and a sentence is in one split's pool only.
# ---------------------------------------------------------------------------------------------------

NAMES_RU = ("Анна", "Ольга", "Марина", "Елена", "Сергей", "Андрей", "Ирина", "Татьяна", "Михаил", "Алексей")
NAMES_EN = ("Anna", "Michael", "Helen", "Victor", "Olga", "Sergey")
ADDRESSES_RU = ("улица Ленина, дом пять", "проспект Победы, дом восемнадцать", "улица Гагарина, дом двенадцать",
                "Садовая улица, дом три", "улица Мира, дом двадцать один", "Лесная улица, дом девять")
ADDRESSES_EN = ("Lenin street, house five", "twelve Gagarin street", "Victory avenue, house eighteen")
TIMES_RU = ("в два часа", "в десять утра", "в половине четвёртого", "в шесть вечера", "в полдень")
TIMES_EN = ("at two o'clock", "at ten in the morning", "at six in the evening")

SCRIPT_RU = {
    "greeting": ("Здравствуйте, меня зовут {name}, я представитель банка.",
                 "Добрый день, меня зовут {name}, я представитель банка «Восток».",
                 "Здравствуйте! Меня зовут {name}, я представитель вашего банка."),
    "address_confirmation": ("Давайте уточним адрес встречи: {address}.",
                             "Подтвердите, пожалуйста, адрес встречи: {address}?",
                             "Уточним ваш адрес: {address}, всё верно?"),
    "passport_reminder": ("Не забудьте паспорт.", "Не забудьте, пожалуйста, взять паспорт.",
                          "Вам понадобится паспорт.", "Возьмите с собой паспорт, пожалуйста."),
    "forced_location": ("Давайте лучше встретимся у метро, мне так удобнее.",
                        "Мне удобнее встретиться в нашем офисе на Пушкинской."),
}
SCRIPT_EN = {
    "greeting": ("Hello, my name is {name}, I am calling from the bank.",
                 "Hello, my name is {name}, I represent the bank."),
    "address_confirmation": ("Let me confirm the address of our meeting: {address}.",
                             "Can you confirm the address, please? It is {address}."),
    "passport_reminder": ("Please bring your passport to the meeting.", "Do not forget your passport, please.",
                          "You will need your passport."),
    "forced_location": ("Let us meet near the station instead, it is more convenient for me.",),
}
# The script's wording with fillers, hesitations and restarts: not paraphrases, so shared.
FILLER_RU = {
    "greeting": ("Э-э, здравствуйте, меня... меня зовут {name}, я, как бы, представитель банка.",
                 "Здравст... алло, здравствуйте! Меня зовут, э-э, {name}, я представитель банка."),
    "address_confirmation": ("Ну, давайте, э-э, уточним... уточним адрес встречи, это, значит, {address}.",
                             "Так, э-э, адрес... давайте уточним адрес встречи: {address}, да?"),
    "passport_reminder": ("И, э-э, не забудьте... ну, паспорт, короче, не забудьте.",
                          "Ну и, это самое, вам, э-э, понадобится паспорт, да."),
}

# Paraphrases written from the meaning: at most one content word shared with any of the examples.
PARAPHRASES: dict[str, dict[str, dict[str, tuple[str, ...]]]] = {
    "greeting": {
        "ru": {
            "dev": ("Приветствую вас! На связи Светлана, специалист кредитного отдела банка.",
                    "Доброго времени суток, вас беспокоит Олег из финансовой организации «Восход».",
                    "Алло, приветствую! Моё имя Дмитрий, звоню вам из отделения Сбербанка.",
                    "Доброе утро, это Мария, ваш персональный консультант из банка «Заря»."),
            "test": ("Здравствуйте! С вами говорит Наталья, служба доставки карт Альфа-Банка.",
                     "Добрый вечер, беспокоит менеджер Павел, я работаю в банке «Открытие».",
                     "Приветствую, на проводе Игорь, сотрудник кредитного учреждения «Северный».",
                     "Алло, доброе утро! Я Екатерина, работаю в отделе обслуживания клиентов вашего банка."),
        },
        "en": {
            "dev": ("Good afternoon, this is Mark speaking, I work for your bank.",
                    "Hi there, Julia here, from the customer service team at City Bank."),
            "test": ("Good morning, you are speaking with Peter, a manager at Northern Bank.",
                     "Hi, Kate here, I am with the card delivery service of your bank."),
        },
    },
    "address_confirmation": {
        "ru": {
            "dev": ("Скажите, пожалуйста, куда именно подъехать нашему курьеру?",
                    "Вы по-прежнему живёте на Садовой улице, дом двенадцать, квартира сорок? Курьер приедет туда.",
                    "Проверим, где мы встречаемся: проспект Мира, дом семь, правильно?",
                    "Напомните, пожалуйста, улицу и номер дома, куда приехать."),
            "test": ("Место нашей встречи остаётся прежним — офис на Тверской, восемь, верно?",
                     "Курьер привезёт карту на Лесную улицу, дом пять, корпус два, там вас и найдёт, так?",
                     "Подскажите ещё раз, на какую улицу и в какой дом подъехать менеджеру?",
                     "Вы будете ждать по тому же адресу, что указан в заявке, Школьная, три?"),
        },
        "en": {
            "dev": ("Are you still at twelve Garden Road? That is where our courier will come.",),
            "test": ("Which street and house number should our manager come to?",),
        },
    },
    "passport_reminder": {
        "ru": {
            "dev": ("Возьмите с собой документ, удостоверяющий личность.",
                    "Паспорт обязательно захватите.",
                    "Пожалуйста, приготовьте удостоверение личности к приходу курьера.",
                    "Курьеру нужно будет увидеть ваш основной документ, держите его под рукой."),
            "test": ("Без паспорта договор оформить не получится, так что приготовьте его.",
                     "Имейте при себе паспорт гражданина, это обязательно.",
                     "Подготовьте, пожалуйста, ваш главный документ, без него карту не выдадут.",
                     "Держите наготове удостоверение личности, менеджер его проверит."),
        },
        "en": {
            "dev": ("Have your ID document ready when the courier arrives.",),
            "test": ("Please keep your passport at hand, the manager has to check it.",),
        },
    },
    "forced_location": {
        "ru": {
            "dev": ("Давайте встретимся в нашем офисе на Арбате, мне туда ближе ехать.",
                    "Я к вам домой не поеду, приезжайте лучше в торговый центр рядом с моим домом.",
                    "Мне будет проще, если вы подъедете к метро Киевская."),
            "test": ("Лучше увидимся возле моей работы, иначе я не успею.",
                     "Для меня это слишком далеко, давайте в кафе рядом с моим офисом.",
                     "Подъезжайте к моему офису к двум часам, у меня там следующая встреча рядом."),
        },
        "en": {
            "dev": ("I would rather we met at my office, it is easier for me to get there.",),
            "test": ("Your place is too far for me, let us meet at the mall near my home.",),
        },
    },
}

# Near misses: sentences that look like a criterion's phrase (or sit where it would) but do not carry its
# meaning. For forced_location they are the rep asking about the client's convenience (no violation).
NEAR_MISSES: dict[str, dict[str, dict[str, tuple[str, ...]]]] = {
    "greeting": {
        "ru": {
            "dev": ("Алло, это Сергей Петрович? Я по поводу вашей заявки.",
                    "Алло, вы меня слышите? Звоню насчёт вашей карты."),
            "test": ("Алло, добрый день, удобно сейчас говорить? Это по поводу карты.",
                     "Алло, это квартира Смирновых? Мне нужна Ольга Николаевна."),
        },
    },
    "address_confirmation": {
        "ru": {
            "dev": ("Давайте уточним время встречи: в два часа вам подходит?",
                    "Подтвердите, пожалуйста, номер вашего телефона."),
            "test": ("Уточним дату: встреча в четверг, правильно?",
                     "Подтвердите, пожалуйста, вашу фамилию и отчество."),
        },
        "en": {"dev": ("Let me confirm the time of our meeting, two o'clock.",),
               "test": ("Can you confirm your phone number, please?",)},
    },
    "passport_reminder": {
        "ru": {
            "dev": ("Паспорт можно не брать, мы всё оформим по номеру телефона.",
                    "Не забудьте, пожалуйста, зонтик, обещают дождь.",
                    "Паспортные данные мы уже проверили, всё в порядке."),
            "test": ("Паспорт вам не понадобится, достаточно вашей подписи.",
                     "Не забудьте зарядить телефон, придёт код подтверждения.",
                     "Ваш паспорт у нас уже есть в системе, его приносить не надо."),
        },
        "en": {"dev": ("You don't need to bring your passport, we already have a copy.",),
               "test": ("There is no need to bring your passport this time.",)},
    },
    "forced_location": {
        "ru": {
            "dev": ("Где вам удобнее встретиться: дома или в офисе?", "Как вам будет удобнее, так и сделаем."),
            "test": ("Скажите, в какое время вам удобнее нас принять?", "Выберите место, которое удобно именно вам."),
        },
        "en": {"dev": ("Where would it be more convenient for you to meet?",),
               "test": ("We can meet wherever suits you better.",)},
    },
}
# The client saying a criterion's words (the rep does not).
CLIENT_SAYS = {
    "greeting": {"dev": ("Здравствуйте, меня зовут Игорь Петрович, слушаю вас.",),
                 "test": ("Добрый день, меня зовут Вера Ивановна, а вы кто?",)},
    "address_confirmation": {"dev": ("Давайте я сам уточню адрес встречи: улица Мира, десять.",),
                             "test": ("Подтверждаю адрес встречи: Лесная, девять, квартира два.",)},
    "forced_location": {"dev": ("Приезжайте ко мне на работу, мне так удобнее.",),
                        "test": ("Мне удобнее встретиться у меня дома, если можно.",)},
}
PERMISSION = {"dev": ("Sorry, I do not understand Russian. Can we speak English?",),
              "test": ("I'm sorry, I don't speak Russian, only English.",)}
# The client saying the opposite of the permission phrase: the switch is not allowed.
NO_PERMISSION = {"dev": ("Я понимаю по-русски, просто связь плохая.",),
                 "test": ("Да нет, я хорошо понимаю по-русски, говорите.",)}
CLIENT_MENTIONS_PASSPORT = {"dev": ("Паспорт у меня всегда с собой, это не проблема.",),
                            "test": ("А паспорт мне брать или можно без него?",)}

REMINDER_RU = ("Напоминаю, что сегодня {time} у нас встреча для подписания договора.",
               "Звоню напомнить о нашей встрече завтра {time}.",
               "Хочу напомнить: курьер привезёт вашу карту сегодня {time}.")
REMINDER_EN = ("I am reminding you about our meeting today {time}.",
               "I am calling about your card delivery tomorrow {time}.")
REP_NEUTRAL_RU = (
    "Карта бесплатная в обслуживании весь первый год.",
    "Кэшбэк начисляется раз в месяц на ваш счёт.",
    "Оформление займёт примерно пятнадцать минут.",
    "Курьер позвонит вам за час до приезда.",
    "Если планы изменятся, позвоните по номеру горячей линии.",
    "Кредитный лимит составит сто пятьдесят тысяч рублей.",
    "Договор можно прочитать заранее в мобильном приложении.",
    "Все условия указаны в тарифе, курьер оставит вам копию.",
    "Процентная ставка зависит от того, как вы будете пользоваться картой.",
    "Снимать наличные без комиссии можно до пятидесяти тысяч в месяц.",
    "Приложение можно скачать сразу после получения карты.",
    "Подписать договор нужно будет лично.",
    "Льготный период составляет сто дней.",
    "Уведомления об операциях приходят бесплатно.",
    "Если карта не понравится, её можно закрыть в любой момент.",
    "Пин-код вы зададите сами в приложении.",
)
CLIENT_NEUTRAL_RU = (
    "А сколько времени займёт оформление?",
    "Понятно, а карта точно бесплатная?",
    "Хорошо, я понял.",
    "Подождите минутку, я возьму ручку.",
    "А курьер позвонит перед приездом?",
    "Мне нужно будет что-то подписывать?",
    "Хорошо, договорились.",
    "Я сейчас на работе, но к этому времени буду дома.",
    "А если я опоздаю минут на десять?",
    "Хорошо, записала.",
    "А какой лимит по карте?",
    "Ясно, спасибо за информацию.",
    "А проценты большие?",
    "Я ещё подумаю насчёт страховки.",
)
CLIENT_HELLO_RU = ("Да, здравствуйте, слушаю вас.", "Алло, да, слушаю.", "Да, это я. Слушаю.")
CLIENT_OK_RU = ("Да, всё верно, я буду дома.", "Да, правильно.", "Всё так, жду.")
CLIENT_BYE_RU = ("Хорошо, спасибо, до свидания.", "Спасибо, до встречи.", "Ладно, всего доброго.")
REP_BYE_RU = ("Спасибо, до встречи!", "Всего доброго, хорошего дня!", "Спасибо за время, до свидания.")
INTERJECTIONS_RU = ("Да-да, я понял.", "Угу, угу.", "Подождите, подождите, я записываю.", "Ага, хорошо.")
# A word or two of English in a Russian call: no wrong language. Near misses, so one split's own.
SHORT_ENGLISH_IN_RU = {"dev": ("Окей, супер, тогда так и запишем.", "У карты есть кэшбэк, это такой bonus."),
                       "test": ("Sorry, секунду, проверю в системе.", "Всё, окей, тогда до встречи, bye!")}
REP_NEUTRAL_EN = ("The card is free of charge for the first year.", "Cashback is paid into your account once a month.",
                  "Signing the contract takes about fifteen minutes.",
                  "The courier will call you an hour before arriving.",
                  "You can read the contract in our mobile app beforehand.")
CLIENT_HELLO_EN = ("Yes, hello, who is calling?", "Hello, yes, speaking.")
CLIENT_OK_EN = ("Yes, that is right, I will be at home.", "Yes, correct.")
CLIENT_BYE_EN = ("Great, thank you, goodbye.", "Okay, thanks, bye.")
CLIENT_NEUTRAL_EN = ("How long will it take?", "Okay, I see.", "Will the courier call me first?")
REP_BYE_EN = ("Thank you, see you soon!", "Thanks, have a nice day.")
SHORT_RUSSIAN_IN_EN = ("Спасибо!", "Да, да.")

# ---------------------------------------------------------------------------------------------------
# Cases
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Turn:
    speaker: str  # rep | client
    language: str
    text: str
    role: str = ""
    pause: float | None = None  # silence before the turn, seconds; None: a natural 0.4-1.0 s
    overlap: float = 0.0  # the turn starts this many seconds before the previous one ends


def rep(text: str, role: str = "", language: str = "ru", **kwargs) -> Turn:
    return Turn("rep", language, text, role, **kwargs)


def client(text: str, role: str = "", language: str = "ru", **kwargs) -> Turn:
    return Turn("client", language, text, role, **kwargs)


@dataclass(frozen=True)
class Scenario:
    turns: tuple[Turn, ...]
    violations: frozenset[str]
    mono_violations: frozenset[str] | None = None  # where mono differs (a phrase only the client said)
    english_meeting: bool = False
    note: str = ""
    tags: tuple[str, ...] = ()
    rep_voice: str = "festival"  # festival | espeak: the rep's Russian voice family


@dataclass(frozen=True)
class Rendering:
    name: str
    layout: str  # rep-left | rep-right | mono
    container: str  # ogg | mp3
    bit_rate: int
    phone: bool = False  # telephone band at 8 kHz
    noise: str | None = None  # white | pink | babble | street | hum | office
    snr_db: float | None = None
    codec: str | None = None  # a round trip: gsm | amr-nb-12.2 | amr-nb-7.4 | amr-nb-4.75 | mulaw
    clip_gain: float | None = None  # amplified this much, then clipped
    crosstalk_db: float | None = None  # stereo: each side also hears the other this much lower, 40 ms late

    @property
    def noisy(self) -> bool:
        return self.phone or self.noise is not None

    def as_dict(self) -> dict:
        return {"name": self.name, "phone": self.phone, "noise": self.noise, "snr_db": self.snr_db,
                "codec": self.codec, "clipped": self.clip_gain is not None, "crosstalk_db": self.crosstalk_db,
                "container": self.container,
                "bit_rate": self.bit_rate, "rate": PHONE_RATE if self.phone else RATE}

    @property
    def tags(self) -> list[str]:
        tags = [f"rendering:{self.name}"]
        if self.noise:
            tags += [f"noise:{self.noise}", f"snr:{self.snr_db:g}"]
        if self.codec:
            tags.append(f"codec:{self.codec}")
        if self.clip_gain:
            tags.append("clipping")
        if self.crosstalk_db:
            tags.append("crosstalk")
        return tags


class Pools:
    """Picks sentences for one case: the split's own paraphrases and near misses, in rotation, so every
    one of them is used; shared pools at random."""

    cursors: dict[tuple[str, ...], int]

    def __init__(self, split: str, cursors: dict[tuple[str, ...], int], rng: random.Random):
        self.split, self.cursors, self.rng = split, cursors, rng

    def _rotate(self, key: tuple[str, ...], pool: tuple[str, ...]) -> str:
        index = self.cursors.get(key, 0)
        self.cursors[key] = index + 1
        return pool[index % len(pool)]

    def paraphrase(self, criterion: str, language: str = "ru") -> Turn:
        text = self._rotate(("p", criterion, language), PARAPHRASES[criterion][language][self.split])
        return rep(text, f"paraphrase:{criterion}", language)

    def near_miss(self, criterion: str, language: str = "ru") -> Turn:
        text = self._rotate(("n", criterion, language), NEAR_MISSES[criterion][language][self.split])
        return rep(text, f"near_miss:{criterion}", language)

    def split_text(self, pool: dict[str, tuple[str, ...]], key: str) -> str:
        return self._rotate(("s", key), pool[self.split])

    def pick(self, pool: tuple[str, ...]) -> str:
        return self.rng.choice(pool)

    def script(self, criterion: str, language: str = "ru") -> Turn:
        pool = (SCRIPT_RU if language == "ru" else SCRIPT_EN)[criterion]
        return rep(self.fill(self.pick(pool), language), f"script:{criterion}", language)

    def filler(self, criterion: str) -> Turn:
        return rep(self.fill(self.pick(FILLER_RU[criterion]), "ru"), f"filler:{criterion}")

    def fill(self, text: str, language: str = "ru") -> str:
        names, addresses, times = ((NAMES_RU, ADDRESSES_RU, TIMES_RU) if language == "ru"
                                   else (NAMES_EN, ADDRESSES_EN, TIMES_EN))
        return text.format(name=self.pick(names), address=self.pick(addresses), time=self.pick(times))

    def neutral(self, count: int) -> list[Turn]:
        """Small talk and questions, alternating rep and client."""
        reps = self.rng.sample(REP_NEUTRAL_RU, k=min(count, len(REP_NEUTRAL_RU)))
        clients = self.rng.sample(CLIENT_NEUTRAL_RU, k=min(count, len(CLIENT_NEUTRAL_RU)))
        turns: list[Turn] = []
        for index in range(count):
            turns.append(rep(reps[index % len(reps)]) if index % 2 == 0 else client(clients[index % len(clients)]))
        return turns


Slot = Turn | list[Turn] | str | None  # "script": the script's own wording


def ru_call(p: Pools, greeting: Slot = "script", address: Slot = "script", passport: Slot = "script",
            middle: list[Turn] | None = None, neutral: int = 0) -> list[Turn]:
    """A Russian reminder call; a slot given as "script" is the script's own wording, None leaves it out
    (a neutral sentence takes its place, so that calls stay alike in length)."""

    def slot(value: Slot, criterion: str) -> list[Turn]:
        if value == "script":
            return [p.script(criterion)]
        if value is None:
            return [rep(p.pick(REP_NEUTRAL_RU))]
        if isinstance(value, Turn):
            return [value]
        assert isinstance(value, list), value
        return value

    turns = [*slot(greeting, "greeting"), client(p.pick(CLIENT_HELLO_RU)), rep(p.fill(p.pick(REMINDER_RU)))]
    turns += middle or []
    turns += [*slot(address, "address_confirmation"), client(p.pick(CLIENT_OK_RU))]
    turns += p.neutral(neutral)
    turns += [*slot(passport, "passport_reminder"), client(p.pick(CLIENT_BYE_RU)), rep(p.pick(REP_BYE_RU))]
    return turns


def en_call(p: Pools, greeting: Turn | None = None, address: Turn | None = None, passport: Turn | None = None,
            middle: list[Turn] | None = None, bye: str | None = None) -> list[Turn]:
    """An English reminder call; a slot left as None is the script's own wording."""
    return [
        greeting or p.script("greeting", "en"), client(p.pick(CLIENT_HELLO_EN), language="en"),
        rep(p.fill(p.pick(REMINDER_EN), "en"), language="en"), *(middle or []),
        address or p.script("address_confirmation", "en"), client(p.pick(CLIENT_OK_EN), language="en"),
        passport or p.script("passport_reminder", "en"), client(p.pick(CLIENT_BYE_EN), language="en"),
        rep(bye or p.pick(REP_BYE_EN), language="en"),
    ]


def none() -> frozenset[str]:
    return frozenset()


def only(*ids: str) -> frozenset[str]:
    return frozenset(ids)


# Each scenario is built once per split.
SCENARIOS: dict[str, Callable[[Pools], Scenario]] = {}


def scenario(function: Callable[[Pools], Scenario]) -> Callable[[Pools], Scenario]:
    SCENARIOS[function.__name__] = function
    return function


@scenario
def compliant_script(p: Pools) -> Scenario:
    return Scenario(tuple(ru_call(p)), none(), note="everything said close to the script's words")


@scenario
def compliant_script_espeak(p: Pools) -> Scenario:
    return Scenario(tuple(ru_call(p, neutral=2)), none(), rep_voice="espeak",
                    note="the script's words in espeak-ng's Russian, a voice Whisper hears worse")


@scenario
def compliant_paraphrase(p: Pools) -> Scenario:
    turns = ru_call(p, p.paraphrase("greeting"), p.paraphrase("address_confirmation"),
                    p.paraphrase("passport_reminder"))
    return Scenario(tuple(turns), none(), note="every required criterion met in other words")


@scenario
def compliant_paraphrase_more(p: Pools) -> Scenario:
    turns = ru_call(p, p.paraphrase("greeting"), p.paraphrase("address_confirmation"),
                    p.paraphrase("passport_reminder"), neutral=2)
    return Scenario(tuple(turns), none(), note="every required criterion met in other words")


@scenario
def compliant_paraphrase_espeak(p: Pools) -> Scenario:
    turns = ru_call(p, p.paraphrase("greeting"), "script", p.paraphrase("passport_reminder"))
    return Scenario(tuple(turns), none(), rep_voice="espeak", note="paraphrases in espeak-ng's Russian")


@scenario
def paraphrase_greeting(p: Pools) -> Scenario:
    return Scenario(tuple(ru_call(p, greeting=p.paraphrase("greeting"), neutral=2)), none())


@scenario
def paraphrase_address_missing_passport(p: Pools) -> Scenario:
    turns = ru_call(p, address=p.paraphrase("address_confirmation"), passport=None, neutral=2)
    return Scenario(tuple(turns), only("passport_reminder"))


@scenario
def paraphrase_passport_missing_address(p: Pools) -> Scenario:
    turns = ru_call(p, address=None, passport=p.paraphrase("passport_reminder"), neutral=2)
    return Scenario(tuple(turns), only("address_confirmation"))


@scenario
def missing_greeting(p: Pools) -> Scenario:
    return Scenario(tuple(ru_call(p, greeting=None)), only("greeting"), note="straight to business")


@scenario
def greeting_near_miss(p: Pools) -> Scenario:
    return Scenario(tuple(ru_call(p, greeting=p.near_miss("greeting"))), only("greeting"),
                    note="a hello without the rep's name or the bank")


@scenario
def greeting_after_limit(p: Pools) -> Scenario:
    # The rep talks business first and introduces themself only after the 30-second limit.
    before = [rep(p.fill(p.pick(REMINDER_RU))), client("Подождите, а кто это звонит?"), *p.neutral(7)]
    turns = [*before, p.script("greeting"), client(p.pick(CLIENT_OK_RU)), p.script("address_confirmation"),
             client(p.pick(CLIENT_OK_RU)), p.script("passport_reminder"), rep(p.pick(REP_BYE_RU))]
    return Scenario(tuple(turns), only("greeting"), tags=("time_limit",),
                    note="the greeting comes after the 30-second limit")


@scenario
def greeting_after_pause(p: Pools) -> Scenario:
    # Silence and a bad line first; the greeting still comes within the limit.
    turns = [rep("Алло? Алло, вас не слышно."), client("Алло?", pause=3.0), p.script("greeting", "ru"),
             *ru_call(p, greeting=[])[1:]]
    turns[2] = replace(turns[2], pause=5.0)
    return Scenario(tuple(turns), none(), tags=("time_limit",), note="a late but in-time greeting after a pause")


@scenario
def client_introduces_self(p: Pools) -> Scenario:
    turns = [rep("Алло, слушаю вас."),
             client(p.split_text(CLIENT_SAYS["greeting"], "client-greeting"), "client:greeting"),
             *ru_call(p, greeting=[])[1:]]
    return Scenario(tuple(turns), only("greeting"), mono_violations=none(), tags=("client_phrase",),
                    note="only the client says the greeting's words (mono: every word counts as the rep's)")


@scenario
def missing_address(p: Pools) -> Scenario:
    return Scenario(tuple(ru_call(p, address=None, neutral=2)), only("address_confirmation"))


@scenario
def address_near_miss(p: Pools) -> Scenario:
    turns = ru_call(p, address=p.near_miss("address_confirmation"))
    return Scenario(tuple(turns), only("address_confirmation"), note="confirms something else, not the address")


@scenario
def client_confirms_address(p: Pools) -> Scenario:
    text = p.split_text(CLIENT_SAYS["address_confirmation"], "client-address")
    turns = ru_call(p, address=[rep(p.pick(REP_NEUTRAL_RU)), client(text, "client:address_confirmation")])
    return Scenario(tuple(turns), only("address_confirmation"), mono_violations=none(), tags=("client_phrase",),
                    note="the client, not the rep, says the address phrase")


@scenario
def missing_passport(p: Pools) -> Scenario:
    return Scenario(tuple(ru_call(p, passport=None, neutral=2)), only("passport_reminder"))


@scenario
def passport_negated(p: Pools) -> Scenario:
    turns = ru_call(p, passport=p.near_miss("passport_reminder"))
    return Scenario(tuple(turns), only("passport_reminder"), tags=("negation",),
                    note="the passport comes up, but as not needed, or something else is to be remembered")


@scenario
def passport_negated_more(p: Pools) -> Scenario:
    turns = ru_call(p, passport=p.near_miss("passport_reminder"), neutral=2)
    return Scenario(tuple(turns), only("passport_reminder"), tags=("negation",))


@scenario
def client_mentions_passport(p: Pools) -> Scenario:
    text = p.split_text(CLIENT_MENTIONS_PASSPORT, "client-passport")
    turns = ru_call(p, passport=[client(text, "client:passport_reminder"), rep("Все подробности расскажет курьер.")])
    return Scenario(tuple(turns), only("passport_reminder"), tags=("client_phrase",),
                    note="only the client mentions the passport, and the rep does not remind")


@scenario
def forced_script(p: Pools) -> Scenario:
    turns = ru_call(p, middle=[p.script("forced_location"), client("Ну хорошо, если вам так надо.")])
    return Scenario(tuple(turns), only("forced_location"))


@scenario
def forced_paraphrase(p: Pools) -> Scenario:
    turns = ru_call(p, middle=[p.paraphrase("forced_location"), client("Ладно, как скажете.")])
    return Scenario(tuple(turns), only("forced_location"), note="the rep imposes the place, in other words")


@scenario
def forced_paraphrase_missing_address(p: Pools) -> Scenario:
    turns = ru_call(p, address=None, middle=[p.paraphrase("forced_location"), client("Ну, допустим.")])
    return Scenario(tuple(turns), only("forced_location", "address_confirmation"))


@scenario
def convenience_asked(p: Pools) -> Scenario:
    turns = ru_call(p, middle=[p.near_miss("forced_location"), client("Дома, пожалуйста.")])
    return Scenario(tuple(turns), none(), note="the rep asks where it suits the client: no violation")


@scenario
def client_prefers_place(p: Pools) -> Scenario:
    text = p.split_text(CLIENT_SAYS["forced_location"], "client-forced")
    turns = ru_call(p, middle=[client(text, "client:forced_location"), rep("Конечно, как скажете.")])
    return Scenario(tuple(turns), none(), mono_violations=only("forced_location"), tags=("client_phrase",),
                    note="the client says the forbidden words (mono: every word counts as the rep's)")


@scenario
def missing_everything(p: Pools) -> Scenario:
    turns = [p.near_miss("greeting"), client(p.pick(CLIENT_HELLO_RU)), rep(p.fill(p.pick(REMINDER_RU))),
             *p.neutral(3), client(p.pick(CLIENT_BYE_RU)), rep(p.pick(REP_BYE_RU))]
    return Scenario(tuple(turns), only("greeting", "address_confirmation", "passport_reminder"))


@scenario
def rep_speaks_english(p: Pools) -> Scenario:
    turns = [p.script("greeting", "en"), client(p.pick(CLIENT_HELLO_RU)), rep(p.fill(p.pick(REMINDER_EN), "en"),
                                                                             language="en"),
             p.script("address_confirmation", "en"), client(p.pick(CLIENT_OK_RU)),
             p.script("passport_reminder", "en"), client("Хорошо, спасибо, до свидания."),
             rep(p.pick(REP_BYE_EN), language="en")]
    return Scenario(tuple(turns), only(WRONG_LANGUAGE), tags=("one_fault",),
                    note="the rep says everything, in English, unasked: wrong language alone")


@scenario
def english_meeting_russian_rep(p: Pools) -> Scenario:
    turns = [p.script("greeting"), client(p.pick(CLIENT_HELLO_EN), language="en"), rep(p.fill(p.pick(REMINDER_RU))),
             p.script("address_confirmation"), client(p.pick(CLIENT_OK_EN), language="en"),
             p.paraphrase("passport_reminder"), client(p.pick(CLIENT_BYE_EN), language="en"),
             rep(p.pick(REP_BYE_RU))]
    return Scenario(tuple(turns), only(WRONG_LANGUAGE), english_meeting=True, tags=("one_fault",),
                    note="an English meeting, the rep speaks Russian: wrong language alone")


@scenario
def switch_mid_call(p: Pools) -> Scenario:
    turns = [p.script("greeting"), client(p.pick(CLIENT_HELLO_RU)), rep(p.fill(p.pick(REMINDER_EN), "en"),
                                                                        language="en"),
             p.script("address_confirmation", "en"), client(p.pick(CLIENT_OK_RU)),
             rep(p.pick(REP_NEUTRAL_EN), language="en"), p.script("passport_reminder", "en"),
             client(p.pick(CLIENT_BYE_RU)), rep(p.pick(REP_BYE_EN), language="en")]
    return Scenario(tuple(turns), only(WRONG_LANGUAGE), tags=("one_fault",),
                    note="the rep switches to English mid-call with no reason")


@scenario
def switch_allowed(p: Pools) -> Scenario:
    turns = [p.script("greeting"), client(p.split_text(PERMISSION, "permission"), "permission", "en"),
             rep("Of course, no problem.", language="en"), *en_call(p)[2:]]
    return Scenario(tuple(turns), none(), tags=("switch_allowed",),
                    note="the client does not understand Russian; the switch to English is allowed")


@scenario
def switch_allowed_paraphrase(p: Pools) -> Scenario:
    turns = [p.script("greeting"), client(p.split_text(PERMISSION, "permission"), "permission", "en"),
             *en_call(p, address=p.paraphrase("address_confirmation", "en"),
                      passport=p.paraphrase("passport_reminder", "en"))[2:]]
    return Scenario(tuple(turns), none(), tags=("switch_allowed",))


@scenario
def switch_not_allowed(p: Pools) -> Scenario:
    text = p.split_text(NO_PERMISSION, "no-permission")
    turns = [p.script("greeting"), client(text, "near_miss:permission"),
             rep("Okay, let me switch to English then.", language="en"), *en_call(p)[2:]]
    return Scenario(tuple(turns), only(WRONG_LANGUAGE),
                    note="the client says they do understand Russian; the rep switches all the same")


@scenario
def short_english_words(p: Pools) -> Scenario:
    first, second = (p.split_text(SHORT_ENGLISH_IN_RU, "short-english") for _ in range(2))
    turns = ru_call(p, middle=[rep(first, "near_miss:wrong_language")])
    turns.insert(-1, rep(second, "near_miss:wrong_language"))
    return Scenario(tuple(turns), none(), note="a few English words in a Russian call are no wrong language")


@scenario
def english_speaking_client(p: Pools) -> Scenario:
    turns = [p.script("greeting"), client(p.pick(CLIENT_HELLO_EN), language="en"), rep(p.fill(p.pick(REMINDER_RU))),
             client("Okay, I see, and when exactly will the courier come to my place?", language="en"),
             p.script("address_confirmation"), client(p.pick(CLIENT_OK_EN), language="en"),
             p.script("passport_reminder"), client(p.pick(CLIENT_BYE_EN), language="en"), rep(p.pick(REP_BYE_RU))]
    return Scenario(tuple(turns), none(), note="the client answers in English, the rep keeps to Russian, as due")


@scenario
def english_meeting(p: Pools) -> Scenario:
    return Scenario(tuple(en_call(p)), none(), english_meeting=True)


@scenario
def english_meeting_paraphrase(p: Pools) -> Scenario:
    turns = en_call(p, p.paraphrase("greeting", "en"), p.paraphrase("address_confirmation", "en"),
                    p.paraphrase("passport_reminder", "en"))
    return Scenario(tuple(turns), none(), english_meeting=True)


@scenario
def english_meeting_passport_negated(p: Pools) -> Scenario:
    turns = en_call(p, passport=p.near_miss("passport_reminder", "en"))
    return Scenario(tuple(turns), only("passport_reminder"), english_meeting=True, tags=("negation",))


@scenario
def english_meeting_address_near_miss(p: Pools) -> Scenario:
    turns = en_call(p, address=p.near_miss("address_confirmation", "en"))
    return Scenario(tuple(turns), only("address_confirmation"), english_meeting=True)


@scenario
def english_meeting_forced(p: Pools) -> Scenario:
    turns = en_call(p, greeting=p.paraphrase("greeting", "en"), middle=[p.paraphrase("forced_location", "en"),
                               client("Well, all right.", language="en")])
    return Scenario(tuple(turns), only("forced_location"), english_meeting=True)


@scenario
def english_meeting_convenience_asked(p: Pools) -> Scenario:
    turns = en_call(p, middle=[p.near_miss("forced_location", "en"), client("At my home, please.", language="en")],
                    bye=p.pick(SHORT_RUSSIAN_IN_EN))
    return Scenario(tuple(turns), none(), english_meeting=True,
                    note="asks about the client's convenience; ends with a Russian word: no violation")


@scenario
def fillers_compliant(p: Pools) -> Scenario:
    turns = ru_call(p, p.filler("greeting"), p.filler("address_confirmation"), p.filler("passport_reminder"))
    return Scenario(tuple(turns), none(), note="hesitations, fillers and restarts")


@scenario
def fillers_missing_address(p: Pools) -> Scenario:
    turns = ru_call(p, p.filler("greeting"), None, p.filler("passport_reminder"),
                    middle=[rep("Ну, э-э, значит, как бы, всё по плану, да."), p.near_miss("address_confirmation")])
    return Scenario(tuple(turns), only("address_confirmation"))


@scenario
def overlap_compliant(p: Pools) -> Scenario:
    turns = ru_call(p)
    address = next(i for i, t in enumerate(turns) if t.role == "script:address_confirmation")
    passport = next(i for i, t in enumerate(turns) if t.role == "script:passport_reminder")
    turns.insert(passport + 1, client(p.pick(INTERJECTIONS_RU), overlap=1.2))
    turns.insert(address + 1, client(p.pick(INTERJECTIONS_RU), overlap=1.5))
    return Scenario(tuple(turns), none(), note="the client talks over the rep's address and passport phrases")


@scenario
def overlap_forced(p: Pools) -> Scenario:
    turns = ru_call(p, middle=[p.paraphrase("forced_location"),
                               client("Нет-нет, подождите, мне это неудобно!", overlap=1.0)])
    return Scenario(tuple(turns), only("forced_location"), note="the client protests over the forbidden phrase")


@scenario
def long_pause_compliant(p: Pools) -> Scenario:
    turns = ru_call(p, middle=[client("Подождите минутку, я найду ручку."),
                               rep("Да, конечно, я подожду.")])
    index = next(i for i, t in enumerate(turns) if t.role == "script:address_confirmation")
    turns[index] = replace(turns[index], pause=9.0)
    return Scenario(tuple(turns), none(), note="nine seconds of silence on hold")


@scenario
def long_compliant(p: Pools) -> Scenario:
    turns = ru_call(p, p.script("greeting"), p.paraphrase("address_confirmation"), "script",
                    middle=[*p.neutral(8), p.near_miss("forced_location"), client("У меня дома."), *p.neutral(4)],
                    neutral=14)
    return Scenario(tuple(turns), none(), note="a long call; the passport comes near its end")


@scenario
def long_missing_passport(p: Pools) -> Scenario:
    turns = ru_call(p, p.filler("greeting"), "script", p.near_miss("passport_reminder"),
                    middle=p.neutral(20), neutral=18)
    return Scenario(tuple(turns), only("passport_reminder"), note="a long call without the passport")


def build_cases(seed: int = 0) -> list[dict]:
    """Every scenario, once per split; the split a scenario's first instance goes to is drawn."""
    cases = []
    cursors: dict[str, dict[tuple[str, ...], int]] = {split: {} for split in SPLITS}
    espeak_index = 0
    for number, (name, build) in enumerate(SCENARIOS.items()):
        order = list(SPLITS)
        random.Random(f"{seed}:split:{name}").shuffle(order)
        for instance, split in enumerate(order, start=1):
            rng = random.Random(f"{seed}:{name}:{instance}")
            built = build(Pools(split, cursors[split], rng))
            voices = {
                "rep_ru": rng.choice(REP_RU_VOICES),
                "client_ru": rng.choice(CLIENT_RU_VOICES),
                "rep_en": rng.choice(REP_EN_VOICES),
                "client_en": rng.choice(CLIENT_EN_VOICES),
            }
            if built.rep_voice == "espeak":
                voices["rep_ru"] = REP_RU_ESPEAK[espeak_index % len(REP_RU_ESPEAK)]
                espeak_index += 1
            cases.append({"case": f"{name}_{instance}", "scenario": name, "split": split, "scenario_index": number,
                          "built": built, "voices": voices, "seed": f"{seed}:{name}:{instance}"})
    used = {(case["split"], turn.text) for case in cases for turn in case["built"].turns}
    for kind, pools in (("paraphrase", PARAPHRASES), ("near miss", NEAR_MISSES)):
        for criterion, languages in pools.items():
            for language, by_split in languages.items():
                for split, sentences in by_split.items():
                    unused = [text for text in sentences if (split, text) not in used]
                    assert not unused, f"{kind} of {criterion} ({language}, {split}) in no case: {unused}"
    return cases


# ---------------------------------------------------------------------------------------------------
# Renderings
# ---------------------------------------------------------------------------------------------------

PHONE_NOISES = ("white", "babble", "street", "pink", "office", "hum")
PHONE_SNRS = (20.0, 15.0, 10.0, 12.0)
PHONE_CODECS = (None, "gsm", "amr-nb-12.2", "mulaw", "amr-nb-7.4")


def renderings_for(index: int, scenario_index: int) -> list[Rendering]:
    """Clean stereo and a noisy phone mono for every case; both cases of every third scenario one more
    rendering (the same one, so that each split has every rendering)."""
    container = "mp3" if index % 2 == 0 else "ogg"
    phone_mono = Rendering(
        "phone_mono", "mono", container, 24000 if container == "mp3" else 16000, phone=True,
        noise=PHONE_NOISES[index % len(PHONE_NOISES)], snr_db=PHONE_SNRS[index % len(PHONE_SNRS)],
        codec=PHONE_CODECS[index % len(PHONE_CODECS)])
    # Opus below 32 kbit/s codes the two channels jointly, and one leaks into the other (-36 dB): stereo
    # files are 32 kbit/s, clean, and the crosstalk of real recordings has a rendering of its own.
    result = [Rendering("stereo", "rep-left", "ogg", 32000), phone_mono]
    extras = (
        Rendering("rightrep", "rep-right", "ogg", 32000),
        Rendering("stereo_babble", "rep-left", "ogg", 32000, phone=True, noise="babble", snr_db=10.0,
                  codec="amr-nb-12.2"),
        Rendering("mono_clipped", "mono", "mp3", 32000, clip_gain=3.0),
        Rendering("phone_mono_hard", "mono", "mp3", 16000, phone=True, noise="street", snr_db=5.0,
                  codec="amr-nb-4.75"),
        Rendering("mono_clean", "mono", "ogg", 24000),
        Rendering("stereo_white", "rep-left", "mp3", 48000, noise="white", snr_db=15.0),
        Rendering("stereo_crosstalk", "rep-left", "ogg", 32000, crosstalk_db=-30.0),
    )
    if scenario_index % 3 == 1:
        result.append(extras[(scenario_index // 3) % len(extras)])
    return result


def colored_noise(length: int, exponent: float, rate: int, rng: np.random.Generator) -> np.ndarray:
    """Noise with a 1/f**exponent power spectrum (0 white, 1 pink, 2 brown), unit RMS."""
    spectrum = rng.normal(size=length // 2 + 1) + 1j * rng.normal(size=length // 2 + 1)
    frequencies = np.maximum(np.fft.rfftfreq(length, 1 / rate), 20.0)
    noise = np.fft.irfft(spectrum / frequencies ** (exponent / 2), n=length)
    return (noise / (np.sqrt(np.mean(noise ** 2)) + 1e-12)).astype(np.float32)


def babble_bed(workdir: Path) -> np.ndarray:
    """Several people talking at once, from the shared neutral sentences: a minute of it, unit RMS."""
    talkers = []
    voices = (*CLIENT_RU_VOICES[:3], REP_RU_VOICES[2], REP_RU_VOICES[3], CLIENT_RU_VOICES[3])
    rng = random.Random("babble")
    chosen = [(voice, rng.sample([*REP_NEUTRAL_RU, *CLIENT_NEUTRAL_RU], k=8)) for voice in voices]
    spoken = synthesize([(text, voice) for voice, sentences in chosen for text in sentences], workdir)
    for voice, sentences in chosen:
        pieces = [spoken[(voice.label, text)] for text in sentences]
        talker = np.concatenate([np.concatenate([piece, np.zeros(int(0.2 * RATE), np.float32)]) for piece in pieces])
        talkers.append(np.roll(talker, rng.randrange(len(talker))))
    length = 60 * RATE
    bed = np.zeros(length, dtype=np.float32)
    for talker in talkers:
        bed += np.resize(talker, length)
    return bed / (np.sqrt(np.mean(bed ** 2)) + 1e-12)


def noise_of(kind: str, length: int, rate: int, rng: np.random.Generator, babble: np.ndarray) -> np.ndarray:
    if kind == "white":
        return rng.normal(size=length).astype(np.float32)
    if kind == "pink":
        return colored_noise(length, 1.0, rate, rng)
    bed = np.resize(np.roll(babble, int(rng.integers(len(babble)))), length)
    if kind == "babble":
        return bed
    seconds = np.arange(length) / rate
    if kind == "street":
        noise = colored_noise(length, 2.0, rate, rng) * 0.6
        for _ in range(max(1, int(length / rate / 8))):  # a car passing every 8 seconds or so
            centre, width = rng.uniform(0, length / rate), rng.uniform(1.5, 3.0)
            noise += 2.0 * np.exp(-(((seconds - centre) / width) ** 2)) * colored_noise(length, 1.5, rate, rng)
        for _ in range(max(1, int(length / rate / 30))):  # a horn now and then
            start = int(rng.uniform(0, max(1, length - rate)))
            tone = np.zeros(length, dtype=np.float32)
            stop = min(length, start + int(0.4 * rate))
            tone[start:stop] = np.sin(2 * np.pi * 440 * seconds[: stop - start]) + np.sin(
                2 * np.pi * 550 * seconds[: stop - start])
            noise += 1.5 * tone
        return (noise / (np.sqrt(np.mean(noise ** 2)) + 1e-12)).astype(np.float32)
    if kind == "hum":
        hum = sum(np.sin(2 * np.pi * f * seconds) / k for k, f in enumerate((50, 150, 250), start=1))
        return (hum + 0.3 * rng.normal(size=length)).astype(np.float32)
    if kind == "office":
        clicks = np.zeros(length, dtype=np.float32)
        for start in rng.integers(0, max(1, length - 200), size=int(length / rate * 3)):
            burst = rng.normal(size=200) * np.exp(-np.arange(200) / 30)
            clicks[start:start + 200] += burst.astype(np.float32)[: len(clicks[start:start + 200])]
        noise = 0.5 * bed + 0.7 * colored_noise(length, 1.0, rate, rng) + 2.0 * clicks
        return (noise / (np.sqrt(np.mean(noise ** 2)) + 1e-12)).astype(np.float32)
    raise ValueError(kind)


def speech_rms(signal: np.ndarray, rate: int) -> float:
    """RMS over the frames that carry speech (within 30 dB of the loudest)."""
    frame = rate // 50
    frames = signal[: len(signal) // frame * frame].reshape(-1, frame)
    energy = np.mean(frames ** 2, axis=1)
    active = energy[energy > energy.max() * 1e-3] if energy.size else energy
    return float(np.sqrt(active.mean())) if active.size else 0.0


def add_noise(signal: np.ndarray, kind: str, snr_db: float, rate: int, rng: np.random.Generator,
              babble: np.ndarray) -> np.ndarray:
    noise = noise_of(kind, len(signal), rate, rng, babble)
    scale = speech_rms(signal, rate) / (10 ** (snr_db / 20))
    return signal + noise * scale


def codec_round_trip(signal: np.ndarray, codec: str) -> np.ndarray:
    """Through a phone codec and back (8 kHz), with sox; without dither (-D), which is random."""
    with tempfile.TemporaryDirectory() as tmp:
        src, coded, dst = Path(tmp) / "in.raw", Path(tmp) / "coded", Path(tmp) / "out.raw"
        np.clip(signal, -1, 1).astype(np.float32).tofile(src)
        fmt = ["-t", "raw", "-e", "floating-point", "-b", "32", "-c", "1", "-r", str(PHONE_RATE)]
        if codec == "gsm":
            coded_fmt = ["-t", "gsm"]
        elif codec == "mulaw":
            coded_fmt = ["-t", "ul"]
        else:
            mode = {"amr-nb-12.2": "7", "amr-nb-7.4": "4", "amr-nb-4.75": "0"}[codec]
            coded_fmt = ["-t", "amr-nb"]
            subprocess.run(["sox", "-D", *fmt, str(src), *coded_fmt, "-C", mode, str(coded)], check=True,
                           capture_output=True)
        if not codec.startswith("amr"):
            subprocess.run(["sox", "-D", *fmt, str(src), *coded_fmt, "-r", str(PHONE_RATE), str(coded)], check=True,
                           capture_output=True)
        subprocess.run(["sox", "-D", *coded_fmt, "-r", str(PHONE_RATE), "-c", "1", str(coded), *fmt, str(dst)],
                       check=True, capture_output=True)
        out = np.fromfile(dst, dtype=np.float32)
    return np.resize(out, len(signal)) if len(out) != len(signal) else out


def apply_rendering(rendering: Rendering, rep_channel: np.ndarray, client_channel: np.ndarray,
                    rng: np.random.Generator, babble: np.ndarray) -> tuple[list[np.ndarray], int]:
    if rendering.layout == "mono":
        channels = [rep_channel + client_channel]
    elif rendering.layout == "rep-right":
        channels = [client_channel, rep_channel]
    else:
        channels = [rep_channel, client_channel]
    if rendering.crosstalk_db and len(channels) == 2:
        gain, delay = 10 ** (rendering.crosstalk_db / 20), int(0.04 * RATE)
        first, second = channels
        channels = [first + gain * np.roll(second, delay), second + gain * np.roll(first, delay)]
    rate = RATE
    out = []
    for channel in channels:
        signal = channel.copy()
        if rendering.noise and rendering.noise != "white":  # the room's noise, before the phone line
            signal = add_noise(signal, rendering.noise, rendering.snr_db or 10.0, RATE, rng, babble)
        if rendering.phone:
            signal = telephone_band(np.clip(signal, -1, 1))
            rate = PHONE_RATE
        if rendering.noise == "white":  # the line's hiss
            signal = add_noise(signal, "white", rendering.snr_db or 10.0, rate, rng, babble)
        elif rendering.phone:
            signal = signal + rng.normal(0, 0.002, len(signal)).astype(np.float32)
        if rendering.codec:
            signal = codec_round_trip(signal, rendering.codec)
        if rendering.clip_gain:
            signal = signal * rendering.clip_gain
        out.append(np.clip(signal, -0.98, 0.98).astype(np.float32))
    return out, rate


# ---------------------------------------------------------------------------------------------------
# Rendering a case
# ---------------------------------------------------------------------------------------------------


def speakable(text: str) -> str:
    """Festival's Russian letter-to-sound rules stop on a lone dash or on guillemets."""
    return text.replace("«", "").replace("»", "").replace(" — ", ", ")


def synthesize(items: list[tuple[str, Voice]], workdir: Path) -> dict[tuple[str, str], np.ndarray]:
    """Each (text, voice) once, as 16 kHz samples, keyed by (voice label, text). Festival speaks all of a
    voice's texts in one process (loading its voice takes longer than a sentence); espeak-ng one by one."""
    spoken: dict[tuple[str, str], np.ndarray] = {}
    unique = list(dict.fromkeys(items))
    festival: dict[str, list[tuple[int, str, Voice]]] = {}
    for index, (text, voice) in enumerate(unique):
        if voice.engine.startswith("festival"):
            festival.setdefault(voice.name or "msu_ru_nsh_clunits", []).append((index, text, voice))
        else:
            spoken[(voice.label, text)] = synth_voice(speakable(text), voice, workdir, index)
    for name, entries in festival.items():
        lines = [f"(voice_{name})"]
        for index, text, _voice in entries:
            quoted = speakable(text).replace("\\", " ").replace('"', " ")
            lines.append(f'(utt.save.wave (utt.synth (Utterance Text "{quoted}")) "{workdir}/say{index}.wav" \'riff)')
        script = workdir / f"{name}.scm"
        script.write_text("\n".join(lines) + "\n", encoding="utf-8")
        subprocess.run(["festival", "-b", str(script)], check=True, capture_output=True)
        for index, text, voice in entries:
            raw = workdir / f"say{index}.wav"
            if not raw.exists():
                raise RuntimeError(f"festival ({name}) did not speak {text!r}")
            spoken[(voice.label, text)] = resample(raw, voice, workdir / f"say{index}_16k.raw")
    return spoken


def voice_for(turn: Turn, voices: dict[str, Voice]) -> Voice:
    return voices[f"{turn.speaker}_{'ru' if turn.language == 'ru' else 'en'}"]


def timeline_of(case: dict, workdir: Path) -> tuple[np.ndarray, np.ndarray, list[dict]]:
    built: Scenario = case["built"]
    rng = random.Random(case["seed"] + ":timing")
    cursor = int(rng.uniform(0.4, 0.9) * RATE)
    previous_end = cursor
    pieces, timeline = [], []
    spoken = synthesize([(turn.text, voice_for(turn, case["voices"])) for turn in built.turns], workdir)
    for turn in built.turns:
        audio = spoken[(voice_for(turn, case["voices"]).label, turn.text)] * 0.8
        if turn.overlap:
            start = max(0, previous_end - int(turn.overlap * RATE))
        else:
            gap = turn.pause if turn.pause is not None else rng.uniform(0.4, 1.0)
            start = cursor + int(gap * RATE)
        pieces.append((start, turn.speaker, audio))
        end = start + len(audio)
        timeline.append({"speaker": turn.speaker, "language": turn.language, "text": turn.text, "role": turn.role,
                         "start_s": round(start / RATE, 2), "end_s": round(end / RATE, 2)})
        previous_end = end
        cursor = max(cursor, end)
    total = cursor + int(0.6 * RATE)
    return (*place(pieces, total), timeline)


def check_timing(case: dict, timeline: list[dict]) -> None:
    """The labels must hold for the audio as rendered: the greeting's time limit with a margin."""
    built: Scenario = case["built"]
    greetings = [turn for turn in timeline if turn["speaker"] == "rep" and turn["role"].endswith(":greeting")
                 and not turn["role"].startswith("near_miss")]
    if not greetings:
        return
    first = greetings[0]
    if "greeting" in built.violations:
        assert first["start_s"] > GREETING_LIMIT_S + 3, (case["case"], first)
    else:
        assert first["end_s"] < GREETING_LIMIT_S - 3, (case["case"], first)


def case_tags(case: dict, timeline: list[dict], duration: float) -> list[str]:
    built: Scenario = case["built"]
    tags = set(built.tags)
    for turn in built.turns:
        kind = turn.role.split(":")[0]
        if kind in ("paraphrase", "near_miss", "filler"):
            tags.add(kind)
            tags.add(f"{kind}:{turn.role.split(':')[1]}")
        if turn.overlap:
            tags.add("overlap")
        if turn.pause and turn.pause >= LONG_PAUSE_S:
            tags.add("pause")
    if "client_phrase" in tags:
        tags.add("near_miss")
    if duration >= LONG_CALL_S:
        tags.add("long")
    if built.english_meeting:
        tags.add("english_meeting")
    expected = "en" if built.english_meeting else "ru"
    if any(turn["language"] != expected for turn in timeline):
        tags.add("language")
    if built.violations or built.mono_violations:
        tags.add("violation")
    else:
        tags.add("compliant")
    language = "en" if built.english_meeting else "ru"
    engine = case["voices"][f"rep_{language}"].engine
    tags.add(f"voice:{engine}-{language}" if engine == "espeak" else f"voice:{engine}")
    return sorted(tags)


_BABBLE: np.ndarray | None = None


def babble() -> np.ndarray:
    global _BABBLE
    if _BABBLE is None:
        with tempfile.TemporaryDirectory() as tmp:
            _BABBLE = babble_bed(Path(tmp))
    return _BABBLE


def render_case(case: dict, out: Path) -> dict[str, dict]:
    built: Scenario = case["built"]
    with tempfile.TemporaryDirectory() as tmp:
        rep_channel, client_channel, timeline = timeline_of(case, Path(tmp))
    check_timing(case, timeline)
    duration = len(rep_channel) / RATE
    tags = case_tags(case, timeline, duration)
    noise_rng = np.random.default_rng(list(case["seed"].encode()))
    labels = {}
    for rendering in renderings_for(case["index"], case["scenario_index"]):
        channels, rate = apply_rendering(rendering, rep_channel, client_channel, noise_rng, babble())
        if rendering.layout == "mono" and built.mono_violations is not None:
            expected = built.mono_violations
        else:
            expected = built.violations
        filename = f"{case['case']}.{rendering.name}.{rendering.container}"
        encode(out / case["split"] / filename, channels, rate, rendering.container, rendering.bit_rate)
        labels[filename] = {
            "call": case["case"], "case": case["case"], "scenario": case["scenario"], "split": case["split"],
            "layout": rendering.layout, "noisy": rendering.noisy, "english_meeting": built.english_meeting,
            "violations": sorted(expected), "note": built.note, "tags": sorted({*tags, *rendering.tags}),
            "duration_s": round(duration, 2), "rendering": rendering.as_dict(),
            "voices": {role: voice.label for role, voice in case["voices"].items()},
            "turns": timeline,
        }
    return labels


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "corpus")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--only", nargs="*", help="cases (or scenarios) to (re)make; the rest keep their labels")
    parser.add_argument("--list", action="store_true", help="print the cases and their expected violations")
    args = parser.parse_args()
    cases = build_cases()
    for index, case in enumerate(cases):
        case["index"] = index
    if args.list:
        for case in cases:
            built = case["built"]
            print(f"{case['split']:<5} {case['case']:<40} {sorted(built.violations)}"
                  + (f" mono {sorted(built.mono_violations)}" if built.mono_violations is not None else ""))
        return
    for tool in ("festival", "text2wave", "espeak-ng", "sox"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is missing: apt-get install festival festvox-ru festvox-kallpc16k "
                             "festvox-us-slt-hts espeak-ng sox libsox-fmt-all")
    selected = [case for case in cases
                if not args.only or case["case"] in args.only or case["scenario"] in args.only]
    labels: dict[str, dict[str, dict]] = {}
    for split in SPLITS:
        (args.out / split).mkdir(parents=True, exist_ok=True)
        path = args.out / split / "labels.json"
        kept = json.loads(path.read_text()) if args.only and path.exists() else {}
        remade = {case["case"] for case in selected}
        labels[split] = {name: label for name, label in kept.items() if label["case"] not in remade}
        if not args.only:
            for stale in (args.out / split).iterdir():
                if stale.name != "labels.json" and stale.is_file():
                    stale.unlink()
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        for case, result in zip(selected, pool.map(render_case, selected, [args.out] * len(selected)), strict=True):
            labels[case["split"]].update(result)
            for filename, label in result.items():
                print(f"{case['split']}/{filename}: {label['violations'] or 'compliant'}", flush=True)
    for split in SPLITS:
        path = args.out / split / "labels.json"
        path.write_text(json.dumps(dict(sorted(labels[split].items())), ensure_ascii=False, indent=1) + "\n")
    counts = Counter(label["split"] for split in SPLITS for label in labels[split].values())
    print(f"{len(selected)} cases rendered in {time.perf_counter() - started:.0f} s; files: {dict(counts)}")


if __name__ == "__main__":
    main()
