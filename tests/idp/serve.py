"""Start the test identity provider: python -m tests.idp.serve PORT DATABASE.

Makes an RS256 key, migrates a database of its own, adds the people in IDP_USERS (JSON:
username, password, email, first_name, last_name, groups) and the Gapwise client
(IDP_CLIENT_ID, IDP_CLIENT_SECRET; redirect URIs on loopback, any port), then serves.
"""

from __future__ import annotations

import json
import os
import sys

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


def main(port: str, database: str) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    os.environ["IDP_RSA_KEY"] = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    os.environ["IDP_DATABASE"] = database
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.idp.settings"
    import django

    django.setup()
    from django.contrib.auth.models import Group, User
    from django.core.management import call_command
    from oauth2_provider.models import Application

    call_command("migrate", verbosity=0)
    for person in json.loads(os.environ.get("IDP_USERS", "[]")):
        groups = person.pop("groups", [])
        user = User.objects.create_user(**person)
        user.groups.add(*(Group.objects.get_or_create(name=g)[0] for g in groups))
    hosts = ("127.0.0.1", "localhost", "testserver")
    Application.objects.create(
        name="Gapwise",
        client_id=os.environ["IDP_CLIENT_ID"],
        client_secret=os.environ["IDP_CLIENT_SECRET"],
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        algorithm=Application.RS256_ALGORITHM,
        skip_authorization=True,
        redirect_uris=" ".join(f"http://{h}/accounts/sso/callback/" for h in hosts),
        post_logout_redirect_uris=" ".join(f"http://{h}/accounts/login/" for h in hosts),
    )
    call_command("runserver", f"127.0.0.1:{port}", use_reloader=False, use_threading=True)


if __name__ == "__main__":
    main(*sys.argv[1:3])
