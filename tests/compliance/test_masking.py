from __future__ import annotations

import re

import pytest

from compliance.masking import luhn_valid, mask_personal_numbers


@pytest.mark.parametrize("text, expected", [
    ("Моя карта 4276 3800 1234 5679, спасибо.", "Моя карта [CARD], спасибо."),
    ("card 4111-1111-1111-1111", "card [CARD]"),
    ("Мой телефон +7 916 123-45-67.", "Мой телефон [PHONE]."),
    ("Мой телефон 8 (916) 123 45 67", "Мой телефон [PHONE]"),
    ("Да, мой телефон 8,916,123,45,67.", "Да, мой телефон [PHONE]."),
    ("Паспорт 4512 345678, выдан в 2015 году.", "Паспорт [PASSPORT], выдан в 2015 году."),
    ("Серия паспорта 45 12, номер 345678.", "Серия паспорта [PASSPORT]."),
    ("серии паспорт до 45-12 номер 345-6178", "серии паспорт до [PASSPORT]"),
])
def test_personal_numbers_written_as_digits_are_masked(text, expected):
    assert mask_personal_numbers(text) == expected


def test_spoken_numbers_as_words_are_masked():
    masked = mask_personal_numbers(
        "Мой телефон восемь девятьсот шестнадцать сто двадцать три сорок пять шестьдесят семь.")
    assert "[PHONE]" in masked
    assert not re.search(r"\d{3}", masked)


def test_english_spoken_digits_are_masked():
    masked = mask_personal_numbers("my card is four one one one one one one one one one one one one one one one", "en")
    assert "[CARD]" in masked


@pytest.mark.parametrize("text", [
    "Встреча в 14:30, 25.11.2026, дом 5, квартира 12.",
    "Сумма 15000 рублей, один момент, пожалуйста.",
    "Напоминаю, что сегодня в два часа у нас встреча.",
])
def test_ordinary_numbers_stay_readable(text):
    assert mask_personal_numbers(text) == text


def test_luhn():
    assert luhn_valid("4111111111111111") and luhn_valid("4276380012345679")
    assert not luhn_valid("4276380012345678")
