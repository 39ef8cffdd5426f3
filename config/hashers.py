"""Password hashing: Argon2id at the OWASP Password Storage Cheat Sheet's recommended
configuration (19 MiB of memory, 2 passes, 1 lane), about 25 ms a sign-in here.

Django's default (100 MiB, 8 lanes) costs five times as much CPU for each sign-in, which
on a two-core server lets a burst of sign-ins stall every other request. Hashes made with
other parameters still verify and are rehashed at the next sign-in.
"""

from __future__ import annotations

from django.contrib.auth.hashers import Argon2PasswordHasher


class OwaspArgon2PasswordHasher(Argon2PasswordHasher):
    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1
