from __future__ import annotations

from ai.pii import luhn_valid, redact


def test_it_redacts_a_valid_card_number_with_spaces_or_dashes() -> None:
    result = redact("my card 4111 1111 1111 1111 was charged twice, and 5500-0000-0000-0004 too")
    assert "4111" not in result.text and "5500" not in result.text
    assert result.text.count("[card number]") == 2
    assert result.kinds == ["card"]


def test_it_keeps_numbers_that_are_not_cards() -> None:
    # 16 digits failing the Luhn check, an amount and a date are not card numbers.
    assert not luhn_valid("1234567812345678")
    text = "order 1234567812345678 of £250.00 on 12/03"
    assert redact(text).text == text


def test_it_redacts_emails_and_phone_numbers() -> None:
    result = redact("write to jane.doe+bank@example.co.uk or call +44 20 7946 0000 or (555) 123-4567")
    assert "jane" not in result.text
    assert "7946" not in result.text and "123-4567" not in result.text
    assert result.kinds == ["email", "phone"]


def test_it_redacts_an_iban() -> None:
    result = redact("send it to GB29 NWBK 6016 1331 9268 19 please")
    assert "NWBK" not in result.text
    assert "iban" in result.kinds
