"""Codes of a test user's authenticator, each used once, as a phone would give them."""

from __future__ import annotations

import time

import pyotp

from mlat.services.twofactor import DRIFT_STEPS, STEP_SECONDS


class Authenticator:
    """Remembers each user's secret and the last step used, so that a user who logs in
    again within the same 30 seconds gets a code the app has not seen yet."""

    def __init__(self) -> None:
        self.secrets: dict[str, str] = {}
        self.last_step: dict[str, int] = {}

    def code(self, email: str) -> str:
        step = max(
            int(time.time()) // STEP_SECONDS - DRIFT_STEPS, self.last_step.get(email, -1) + 1
        )
        while step > int(time.time()) // STEP_SECONDS + DRIFT_STEPS:
            time.sleep(1)  # every acceptable code was used: wait for the next one
        self.last_step[email] = step
        return pyotp.TOTP(self.secrets[email]).at(step * STEP_SECONDS)
