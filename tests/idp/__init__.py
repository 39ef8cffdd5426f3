"""The test identity provider (django-oauth-toolkit in OIDC mode) as a process on loopback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CLIENT_ID = "gapwise"
CLIENT_SECRET = "idp-client-secret-0123456789-abcdefghijklmnop"
PEOPLE = [
    {
        "username": "dana",
        "password": "dana-idp-password-1",
        "email": "dana@example.com",
        "first_name": "Dana",
        "last_name": "Scully",
        "groups": ["gapwise-managers"],
    },
    {
        "username": "eve",
        "password": "eve-idp-password-1",
        "email": "alice@example.com",  # the address of a Gapwise account she does not own
        "first_name": "Eve",
        "last_name": "Intruder",
        "groups": ["unverified-email"],
    },
]


@dataclass
class IdentityProvider:
    issuer: str
    client_id: str = CLIENT_ID
    client_secret: str = CLIENT_SECRET


@contextmanager
def running_idp(tmp_path: Path, port: int) -> Iterator[IdentityProvider]:
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "IDP_USERS": json.dumps(PEOPLE),
        "IDP_CLIENT_ID": CLIENT_ID,
        "IDP_CLIENT_SECRET": CLIENT_SECRET,
    }
    env.pop("DATABASE_URL", None)
    log = tmp_path / "idp.log"  # a file, not a pipe: a full pipe would stall the server
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.idp.serve", str(port), str(tmp_path / "idp.sqlite3")],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    issuer = f"http://127.0.0.1:{port}/o"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{issuer}/.well-known/openid-configuration", timeout=2)
            break
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                tail = log.read_text()[-3000:]
                raise RuntimeError(f"the identity provider did not start: {tail}") from None
            time.sleep(0.2)
    try:
        yield IdentityProvider(issuer=issuer)
    finally:
        process.terminate()
        process.wait(timeout=20)
