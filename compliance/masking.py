"""Mask personal numbers spoken in calls: bank cards, phone numbers, passports.

Whisper mostly writes spoken numbers as digits, sometimes split by spaces, commas or dashes,
sometimes as words. Cards are found by length and the Luhn check, Russian phones by the
`phonenumbers` library (region RU), passports as 4 + 6 digits (series, then number). Any other
long digit run is masked as a number: in a bank call it is more likely personal than not.
"""

from __future__ import annotations

import re

import phonenumbers

from compliance.normalize import spoken_numbers_to_digits

CARD, PHONE, PASSPORT, NUMBER = "[CARD]", "[PHONE]", "[PASSPORT]", "[NUMBER]"
# Digit groups joined by spaces, commas, dashes or brackets; dots, colons and slashes are left
# alone so that times (14:30) and dates (25.11.2026) stay readable.
_DIGIT_RUN = re.compile(r"\+?\d(?:[\d\s,\-()]*\d)?")
_PASSPORT_WORDS = re.compile(r"паспорт|серия|серии|passport", re.IGNORECASE)
_BRIDGE = re.compile(r"^[\s,\-]*(?:номер|number|no\.?|№)?[\s,\-:]*$", re.IGNORECASE)
MIN_MASKED_DIGITS = 6
_SPELLED_NUMBER_HINT = re.compile(
    r"\b(ноль|один|одна|два|две|три|четыре|пять|шесть|семь|восемь|девять|десять|двадцать|тридцать|сорок|"
    r"пятьдесят|шестьдесят|семьдесят|восемьдесят|девяносто|сто|двести|триста|четыреста|пятьсот|шестьсот|"
    r"семьсот|восемьсот|девятьсот|zero|one|two|three|four|five|six|seven|eight|nine)\b",
    re.IGNORECASE,
)


def luhn_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def _is_phone(digits: str, raw: str) -> bool:
    candidate = raw.strip() if raw.strip().startswith("+") else digits
    try:
        number = phonenumbers.parse(candidate, "RU")
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_possible_number(number)


def classify(digits: str, raw: str, near_passport_word: bool) -> str | None:
    length = len(digits)
    if 13 <= length <= 19 and luhn_valid(digits):
        return CARD
    if length == 10 and near_passport_word:
        return PASSPORT
    if length in (10, 11) and _is_phone(digits, raw):
        return PHONE
    if length == 10:
        return PASSPORT
    if length >= MIN_MASKED_DIGITS:
        return NUMBER
    return None


def _mask_digit_runs(text: str) -> str:
    matches = list(_DIGIT_RUN.finditer(text))
    replacements: list[tuple[int, int, str]] = []
    index = 0
    while index < len(matches):
        match = matches[index]
        digits = re.sub(r"\D", "", match.group())
        context = text[max(0, match.start() - 40):match.start()]
        near_passport = bool(_PASSPORT_WORDS.search(context))
        # Passport series (4 digits) and number (6) often come apart: "45 12, номер 345678".
        if len(digits) == 4 and index + 1 < len(matches):
            following = matches[index + 1]
            between = text[match.end():following.start()]
            following_digits = re.sub(r"\D", "", following.group())
            if (_BRIDGE.match(between) and 5 <= len(following_digits) <= 7
                    and (near_passport or len(following_digits) == 6)):
                replacements.append((match.start(), following.end(), PASSPORT))
                index += 2
                continue
        label = classify(digits, match.group(), near_passport)
        if label:
            start, end = match.start(), match.end()
            # Keep the separators around the run out of the mask (the regex may swallow a comma).
            while end > start and not text[end - 1].isdigit():
                end -= 1
            replacements.append((start, end, label))
        index += 1
    for start, end, label in reversed(replacements):
        text = text[:start] + label + text[end:]
    return text


def mask_personal_numbers(text: str, language: str = "ru") -> str:
    if _SPELLED_NUMBER_HINT.search(text):
        converted = spoken_numbers_to_digits(text, language)
        masked = _mask_digit_runs(converted)
        if masked != converted:  # a spelled-out personal number was there: keep the masked digits form
            return masked
    return _mask_digit_runs(text)
