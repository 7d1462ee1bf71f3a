"""Codes of a test user's authenticator, each used once, as a phone would give them."""

from __future__ import annotations

import time

import pyotp

from mlat.services.twofactor import DRIFT_STEPS, STEP_SECONDS

SAFETY_SECONDS = 10  # time a loaded machine may take between making a code and checking it


class Authenticator:
    """Remembers each user's secret and the last step used, so that a user who logs in
    again within the same 30 seconds gets a code the app has not seen yet."""

    def __init__(self) -> None:
        self.secrets: dict[str, str] = {}
        self.recovery: dict[str, list[str]] = {}  # the codes shown when it was set up
        self.last_step: dict[str, int] = {}

    def code(self, email: str) -> str:
        now = time.time()
        earliest = int(now) // STEP_SECONDS - DRIFT_STEPS
        if now % STEP_SECONDS > STEP_SECONDS - SAFETY_SECONDS:
            # the oldest step the app accepts now is gone once the step changes: a slow
            # machine may not check the code before that
            earliest += 1
        step = max(earliest, self.last_step.get(email, -1) + 1)
        while step > int(time.time()) // STEP_SECONDS + DRIFT_STEPS:
            time.sleep(1)  # every acceptable code was used: wait for the next one
        self.last_step[email] = step
        return pyotp.TOTP(self.secrets[email]).at(step * STEP_SECONDS)
