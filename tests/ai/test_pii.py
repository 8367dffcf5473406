from __future__ import annotations

import pytest

from ai.pii import cn_id_valid, luhn_valid, redact


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


def test_it_redacts_a_chinese_id_number_inside_chinese_text() -> None:
    result = redact("我的身份证号是320106200002290318，请帮我查一下")
    assert result.text == "我的身份证号是[ID number]，请帮我查一下"
    assert result.kinds == ["cn_id"]


@pytest.mark.parametrize("number", ["11010519491231002X", "11010519491231002x", "110105 19491231 002X"])
def test_it_redacts_a_chinese_id_number_ending_in_x(number: str) -> None:
    result = redact(f"身份证{number}，谢谢")
    assert result.text == "身份证[ID number]，谢谢"
    assert result.kinds == ["cn_id"]


def test_it_keeps_18_digit_numbers_that_are_not_chinese_ids() -> None:
    assert cn_id_valid("11010519491231002X")
    # A wrong check character; then a right one on a number whose "birth date" is 1212-34-56 (an order number).
    assert not cn_id_valid("110105194912310021")
    assert not cn_id_valid("202405121234567899")
    for text in ("身份证号110105194912310021", "订单号202405121234567899已发货"):
        assert redact(text).text == text


@pytest.mark.parametrize("text", [
    "我的手机号13812345678，麻烦查一下",
    "我的手机号138 1234 5678，麻烦查一下",
    "我的手机号138-1234-5678，麻烦查一下",
    "我的手机号+86 13812345678，麻烦查一下",
    "我的手机号+86-138-1234-5678，麻烦查一下",
    "我的手机号8613812345678，麻烦查一下",
    "我的手机号0086 13812345678，麻烦查一下",
])
def test_it_redacts_a_mainland_mobile_number_without_word_boundaries(text: str) -> None:
    result = redact(text)
    assert result.text == "我的手机号[phone]，麻烦查一下"
    assert result.kinds == ["phone"]


def test_a_mobile_number_used_as_a_mailbox_is_an_email() -> None:
    assert redact("邮箱13812345678@163.com").text == "邮箱[email]"


@pytest.mark.parametrize("text", [
    "客服电话 400-820-0000", "客服电话400-820-0000", "座机010-12345678", "座机(0755)1234567",
])
def test_it_redacts_chinese_landlines_and_service_numbers(text: str) -> None:
    # A 400 number is usually the shop's own hotline, but the rule cannot tell whose number it is: it fails closed.
    result = redact(text)
    assert result.text.endswith("[phone]")
    assert result.kinds == ["phone"]


@pytest.mark.parametrize("text", [
    "临川、云港当日最晚下单时间为21:00，栖霞湾为20:00",
    "满49元免运费",
    "会员128元/年，续费享85折，优惠8.5%",
    "苹果2元/5kg，限购3件",
    "配送时间7:00-8:00或09:00-21:00",
    "订单于2024-05-12 21:00发货，预计2024年5月14日送达",
    "the order shipped on 2024-05-12 21:00, tracking 12345",
    "订单号1234567，退款50元",
    "订单号138123456789已签收",  # 12 digits starting like a mobile number
])
def test_it_keeps_prices_times_dates_and_short_numbers(text: str) -> None:
    assert redact(text).text == text
