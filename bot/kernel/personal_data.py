"""Phone and ID numbers: one way to normalise them and one way to mask them, for every package."""

from __future__ import annotations

import re

# An 18-character ID number standing alone (not inside a longer run of digits).
ID_NUMBER_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])(\d{6})\d{8}(\d{3}[\dXx])(?![0-9A-Za-z])")
MOBILE_IN_TEXT = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")


def normalize_phone(raw: str) -> str:
    """Reduce ``+86 138-1234-5678`` and the like to the 11-digit number; other input keeps its digits."""
    digits = "".join(ch for ch in raw if ch.isdigit())
    return digits[2:] if len(digits) == 13 and digits.startswith("86") else digits


def normalize_id(id_number: str) -> str:
    """Strip blanks and upper-case the check character (x → X)."""
    return id_number.strip().upper()


def mask_id(id_number: str) -> str:
    """Show the first four and last four characters: 4306**********1237."""
    value = normalize_id(id_number)
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_phone(phone: str) -> str:
    """Show the first three and last four digits: 138****5678."""
    value = phone.strip()
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_address(channel: str, address: str) -> str:
    """Mask any address for logs: phone numbers keep 3+4 digits, chat ids and OpenIDs their last 3."""
    if channel == "sms":
        return mask_phone(address)
    return f"***{address[-3:]}" if len(address) > 3 else "***"


def mask_ids_in_text(text: str) -> str:
    """Replace every 18-character ID number in free text by its masked form."""
    return ID_NUMBER_IN_TEXT.sub(lambda m: mask_id(m.group(0)), text)


def mask_personal_data(text: str) -> str:
    """Mask ID numbers and mobile numbers in free text (for terminal output and logs)."""
    return MOBILE_IN_TEXT.sub(r"\1****\2", mask_ids_in_text(text))
