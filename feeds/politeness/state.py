"""What the host limiters hand back: a reservation of a request slot, and a host's pause."""

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone


@dataclass(frozen=True)
class HostPause:
    """A host we leave alone until `until`, and why (for editors)."""

    host: str
    until: datetime
    reason: str

    def __str__(self) -> str:
        when = timezone.localtime(self.until).strftime("%Y-%m-%d %H:%M:%S %Z")
        return f"Host {self.host} is backing off until {when}: {self.reason}."


@dataclass(frozen=True)
class Reservation:
    """A slot (token) whose request starts now; without a token, why there is none: the host is paused, every
    slot is taken (delay 0), or the next start is `delay` seconds off."""

    token: str = ""
    delay: float = 0.0
    pause: HostPause | None = None
