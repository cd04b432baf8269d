"""A card signing in a process of its own, as the signer's own program does on his PC: PKCS#11
logs a process in to a token once, and the service's own process may hold the same demo card open
as the agency's key.  ``sign_in_own_process`` runs ``signing.card.sign_with_card`` there."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys

SCRIPT = """
import base64, json, sys
from signing.card import PinRefused, sign_with_card
asked = json.load(sys.stdin)
try:
    raw = sign_with_card(asked["module"], asked["token"], asked["pin"], base64.b64decode(asked["tbs"]))
    print(json.dumps({"signature": base64.b64encode(raw).decode()}))
except PinRefused as err:
    print(json.dumps({"refused": str(err)}))
"""


def sign_in_own_process(card, pin: str, tbs: bytes) -> bytes:
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=60, check=True,
                          env=os.environ.copy(), input=json.dumps({"module": card.module, "token": card.token_label,
                                                                    "pin": pin, "tbs": base64.b64encode(tbs).decode()}))
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    if "refused" in answer:
        raise PermissionError(answer["refused"])
    return base64.b64decode(answer["signature"])
