"""Delivery channels. Email over SMTP today; SMS or push are one more class with `send`."""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol


class DeliveryError(Exception):
    pass


class Channel(Protocol):
    name: str

    def send(self, recipient: str, subject: str, body: str) -> None: ...


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    username: str = ""
    password: str = ""
    starttls: bool = False
    sender: str = "Fieldrep <no-reply@fieldrep.example>"
    timeout_s: float = 20.0


def make_channels(settings) -> dict[str, Channel]:
    return {"email": EmailChannel(SmtpSettings(
        host=settings.smtp_host, port=settings.smtp_port, username=settings.smtp_username,
        password=settings.smtp_password, starttls=settings.smtp_starttls, sender=settings.mail_from,
    ))}


class EmailChannel:
    name = "email"

    def __init__(self, settings: SmtpSettings):
        self.settings = settings

    def send(self, recipient: str, subject: str, body: str) -> None:
        message = EmailMessage()
        message["From"] = self.settings.sender
        message["To"] = recipient
        message["Subject"] = subject
        message.set_content(body)
        try:
            with smtplib.SMTP(self.settings.host, self.settings.port, timeout=self.settings.timeout_s) as smtp:
                if self.settings.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.settings.username:
                    smtp.login(self.settings.username, self.settings.password)
                smtp.send_message(message)
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(f"{type(exc).__name__}: {exc}") from exc
