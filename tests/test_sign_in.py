"""Sign-in lock-out behind proxies, and the password change throttled like sign-in."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client, RequestFactory
from django.urls import reverse

from config.http import client_ip

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-password-1"
PROXY = "10.0.0.2"  # the TLS proxy: every request reaches the app from it


def through_the_proxy(forwarded_for: str) -> Client:
    return Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded_for)


def sign_in(client: Client, password: str):
    return client.post(reverse("login"), {"username": "alice", "password": password})


@pytest.mark.parametrize(
    ("count", "forwarded", "seen"),
    [
        (0, "203.0.113.9", PROXY),  # no proxy configured: the header is the client's words
        (1, "203.0.113.9", "203.0.113.9"),
        (1, "1.2.3.4, 203.0.113.9", "203.0.113.9"),  # the left part is the client's words
        (2, "1.2.3.4, 203.0.113.9, 10.0.0.7", "203.0.113.9"),
        (2, "203.0.113.9", PROXY),  # did not come through both proxies
        (1, "not-an-address", PROXY),
        (1, "", PROXY),
    ],
)
def test_the_client_address_is_read_through_the_configured_proxies(
    settings, count, forwarded, seen
):
    settings.PROXY_COUNT = count
    request = RequestFactory().get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == seen


def test_behind_a_proxy_a_lock_out_hurts_the_attackers_address_not_the_account(settings, alice):
    settings.PROXY_COUNT = 1
    attacker = through_the_proxy("203.0.113.9")
    for _ in range(5):
        sign_in(attacker, "wrong-password-123")
    assert sign_in(attacker, PASSWORD).status_code == 429
    # The attacker cannot shake the lock off by writing another address to the left.
    assert sign_in(through_the_proxy("9.9.9.9, 203.0.113.9"), PASSWORD).status_code == 429

    alice_at_work = through_the_proxy("198.51.100.7")
    assert sign_in(alice_at_work, PASSWORD).status_code == 302


def test_without_proxies_a_forged_header_changes_nothing(settings, alice):
    settings.PROXY_COUNT = 0
    for address in ("1.1.1.1", "2.2.2.2", "3.3.3.3", "4.4.4.4", "5.5.5.5"):
        sign_in(Client(REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR=address), "wrong-1234567")
    again = Client(REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="6.6.6.6")
    assert sign_in(again, PASSWORD).status_code == 429


def change_password(client: Client, old: str):
    new = "a-new-long-password-9"
    return client.post(
        reverse("password_change"),
        {"old_password": old, "new_password1": new, "new_password2": new},
    )


def test_guessing_the_current_password_is_throttled_like_sign_in(alice):
    client = Client(REMOTE_ADDR="203.0.113.9")
    client.force_login(alice)
    for _ in range(4):
        response = change_password(client, "a-guess-at-the-password")
        assert response.status_code == 200
        assert "Your old password was entered incorrectly" in response.content.decode()

    response = change_password(client, "a-fifth-guess-at-it")
    assert response.status_code == 429
    assert change_password(client, PASSWORD).status_code == 429  # even the right one, now
    assert User.objects.get(pk=alice.pk).check_password(PASSWORD)


def test_the_right_current_password_changes_it(alice):
    client = Client()
    client.force_login(alice)

    response = change_password(client, PASSWORD)

    assert response.status_code == 302
    assert User.objects.get(pk=alice.pk).check_password("a-new-long-password-9")
