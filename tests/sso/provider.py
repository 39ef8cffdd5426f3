"""A small OpenID provider on loopback whose ID tokens each test writes: discovery, keys
(JWKS), a token endpoint that checks the code and its PKCE verifier, userinfo and
end_session. The client under test is the real one (mozilla-django-oidc and our backend);
only the provider is ours, so that tokens a real provider would never issue (the wrong
audience, expired, signed with another key) can be sent to it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

CLIENT_ID = "gapwise-test"
CLIENT_SECRET = "test-client-secret-0123456789-abcdefghij"


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class Provider:
    def __init__(self, url: str) -> None:
        self.url = url
        self.key = new_key()
        self.kid = "test-key-1"
        self.codes: dict[str, dict] = {}  # code -> the authorization request's parameters
        self.claims: dict = {}  # what the next ID token says, over the defaults
        self.sign_with: rsa.RSAPrivateKey | None = None  # another key: a bad signature
        self.algorithm = "RS256"
        self.token_requests: list[dict] = []

    def authorize(self, location: str) -> str:
        """What the provider does with the browser sent to `location`: sign the person in
        and answer with the redirect back to the client, code and state in it."""
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))
        assert location.startswith(self.url + "/authorize?"), location
        code = f"code-{len(self.codes)}"
        self.codes[code] = query
        back = urllib.parse.urlencode({"code": code, "state": query["state"]})
        return f"{query['redirect_uri']}?{back}"

    def id_token(self, request: dict) -> str:
        now = int(time.time())
        claims = {
            "iss": self.url,
            "aud": CLIENT_ID,
            "sub": "subject-1",
            "iat": now,
            "exp": now + 300,
            "nonce": request.get("nonce"),
            "email": "dana@example.com",
            "email_verified": True,
            "given_name": "Dana",
            "family_name": "Scully",
            "preferred_username": "dana",
            **self.claims,
        }
        claims = {k: v for k, v in claims.items() if v is not None}
        if self.algorithm == "none":
            return jwt.encode(claims, None, algorithm="none")
        key = self.sign_with or self.key
        if self.algorithm == "HS256":
            return jwt.encode(claims, CLIENT_SECRET, algorithm="HS256")
        return jwt.encode(claims, key, algorithm="RS256", headers={"kid": self.kid})

    def jwks(self) -> dict:
        jwk = jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        return {"keys": [{**jwk, "kid": self.kid, "alg": "RS256", "use": "sig"}]}

    def discovery(self) -> dict:
        return {
            "issuer": self.url,
            "authorization_endpoint": f"{self.url}/authorize",
            "token_endpoint": f"{self.url}/token",
            "jwks_uri": f"{self.url}/jwks",
            "userinfo_endpoint": f"{self.url}/userinfo",
            "end_session_endpoint": f"{self.url}/logout",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
        }

    def token(self, form: dict) -> tuple[int, dict]:
        self.token_requests.append(form)
        request = self.codes.pop(form.get("code", ""), None)  # a code works once
        if request is None or form.get("client_secret") != CLIENT_SECRET:
            return 400, {"error": "invalid_grant"}
        verifier = form.get("code_verifier", "")
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
        if challenge.rstrip(b"=").decode() != request.get("code_challenge"):
            return 400, {"error": "invalid_grant", "error_description": "PKCE"}
        self.last_request = request
        return 200, {
            "access_token": "access-" + form["code"],
            "token_type": "Bearer",
            "id_token": self.id_token(request),
        }

    def userinfo(self) -> dict:
        token = jwt.decode(self.id_token(self.last_request), options={"verify_signature": False})
        return {k: token[k] for k in ("sub", "email", "email_verified") if k in token}


@contextmanager
def running_provider() -> Iterator[Provider]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    provider = Provider(f"http://127.0.0.1:{server.server_address[1]}")
    server.provider = provider  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield provider
    finally:
        server.shutdown()
        server.server_close()


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass

    def _json(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        provider: Provider = self.server.provider  # type: ignore[attr-defined]
        path = urllib.parse.urlsplit(self.path).path
        if path == "/.well-known/openid-configuration":
            self._json(200, provider.discovery())
        elif path == "/jwks":
            self._json(200, provider.jwks())
        elif path == "/userinfo":
            self._json(200, provider.userinfo())
        else:
            self._json(404, {})

    def do_POST(self) -> None:
        provider: Provider = self.server.provider  # type: ignore[attr-defined]
        length = int(self.headers.get("Content-Length", 0))
        form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
        if self.path == "/token":
            self._json(*provider.token(form))
        else:
            self._json(404, {})
