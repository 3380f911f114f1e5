"""Access tokens: issued by POST /auth/token, and every kind of bad token refused with 401."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.conftest import PASSWORD, Accounts
from webapp.auth.tokens import key_ring
from webapp.extensions import db
from webapp.models import User
from webapp.timeutil import utcnow


def get_token(client, email: str, password: str = PASSWORD):
    return client.post("/api/v1/auth/token", json={"email": email, "password": password})


def me(client, token: str):
    return client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {token}"})


def internal_claims(app, user_id: str, **overrides) -> dict:
    now = utcnow()
    claims = {
        "sub": user_id,
        "iss": app.config["JWT_ISSUER"],
        "aud": app.config["JWT_AUDIENCE"],
        "iat": now,
        "exp": now + timedelta(minutes=5),
    }
    claims.update(overrides)
    return {key: value for key, value in claims.items() if value is not None}


def sign(app, claims: dict, kid: str = "default") -> str:
    with app.app_context():
        secret = key_ring().keys[kid]
    return jwt.encode(claims, secret, algorithm="HS256", headers={"kid": kid})


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def test_token_is_issued_and_works(app, anon, accounts):
    accounts.ensure("operator")
    response = get_token(anon, accounts.email("operator"))
    assert response.status_code == 200
    body = response.get_json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 900
    header = jwt.get_unverified_header(body["access_token"])
    assert header == {"alg": "HS256", "kid": "default", "typ": "JWT"}
    caller = me(anon, body["access_token"]).get_json()
    assert caller["email"] == "operator@example.com" and caller["role"] == "operator"


def test_wrong_password_and_unknown_user_get_the_same_answer(anon, accounts):
    accounts.ensure("viewer")
    wrong = get_token(anon, accounts.email("viewer"), "wrong password!")
    unknown = get_token(anon, "nobody@example.com", "wrong password!")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.get_json()["detail"] == unknown.get_json()["detail"]
    missing = anon.post("/api/v1/auth/token", json={"email": "x@example.com"})
    assert missing.status_code == 422 and missing.get_json()["errors"][0]["field"] == "password"


@pytest.fixture
def operator(app, accounts) -> str:
    accounts.ensure("operator")
    return accounts.ids["operator"]


@pytest.mark.parametrize(
    "case",
    [
        "garbage",
        "alg_none",
        "wrong_signature",
        "expired",
        "not_yet_valid",
        "wrong_iss",
        "wrong_aud",
        "missing_exp",
        "missing_sub",
        "unknown_kid",
        "bad_scheme",
    ],
)
def test_bad_tokens_are_refused(app, anon, operator, case):
    claims = internal_claims(app, operator)
    if case == "garbage":
        token = "not.a.token"
    elif case == "alg_none":
        plain = {**claims, "iat": int(claims["iat"].timestamp()), "exp": int(claims["exp"].timestamp())}
        token = f"{_b64({'alg': 'none', 'typ': 'JWT', 'kid': 'default'})}.{_b64(plain)}."
    elif case == "wrong_signature":
        good = sign(app, claims)
        token = good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB")
    elif case == "expired":
        token = sign(app, internal_claims(app, operator, exp=utcnow() - timedelta(minutes=5)))
    elif case == "not_yet_valid":
        later = utcnow() + timedelta(minutes=10)
        token = sign(app, internal_claims(app, operator, iat=later, nbf=later, exp=later + timedelta(minutes=5)))
    elif case == "wrong_iss":
        token = sign(app, internal_claims(app, operator, iss="someone-else"))
    elif case == "wrong_aud":
        token = sign(app, internal_claims(app, operator, aud="another-api"))
    elif case == "missing_exp":
        token = sign(app, internal_claims(app, operator, exp=None))
    elif case == "missing_sub":
        token = sign(app, internal_claims(app, operator, sub=None))
    elif case == "unknown_kid":
        token = jwt.encode(claims, "x" * 40, algorithm="HS256", headers={"kid": "retired"})
    else:
        response = anon.get("/api/v1/users/me", headers={"Authorization": f"Basic {sign(app, claims)}"})
        assert response.status_code == 401
        return
    response = me(anon, token)
    assert response.status_code == 401, case
    assert response.get_json()["detail"] == "the credentials are invalid, expired or revoked"


def test_a_disabled_users_token_and_key_stop_working_at_once(app, anon, accounts, operator):
    token = get_token(anon, accounts.email("operator")).get_json()["access_token"]
    key = accounts.ensure("operator")
    assert me(anon, token).status_code == 200 and me(anon, key).status_code == 200
    with app.app_context():
        from webapp.services import users

        users.update_user(db.session.get(User, operator), {"active": False}, acting_user_id=None)
    assert me(anon, token).status_code == 401
    assert me(anon, key).status_code == 401
    assert get_token(anon, accounts.email("operator")).status_code == 401


def test_raising_tokens_valid_after_rejects_older_tokens(app, anon, accounts, operator):
    old = sign(app, internal_claims(app, operator, iat=utcnow() - timedelta(seconds=10)))
    assert me(anon, old).status_code == 200
    with app.app_context():
        db.session.get(User, operator).tokens_valid_after = utcnow() - timedelta(seconds=2)
        db.session.commit()
    assert me(anon, old).status_code == 401
    fresh = get_token(anon, accounts.email("operator")).get_json()["access_token"]
    assert me(anon, fresh).status_code == 200


def test_key_rotation_keeps_old_tokens_valid(make_app, tmp_path):
    """GIVEN tokens signed with kid k1 WHEN the ring adds k2 and makes it active THEN old tokens still work and
    new ones are signed with k2; WHEN k1 is removed THEN its tokens are refused."""
    keys = {"k1": "a" * 40}
    first = make_app(JWT_KEYS=json.dumps(keys), JWT_ACTIVE_KID="k1")
    accounts = Accounts(first)
    accounts.ensure("viewer")
    old = get_token(first.test_client(), accounts.email("viewer")).get_json()["access_token"]
    rotated = make_app(JWT_KEYS=json.dumps({**keys, "k2": "b" * 40}), JWT_ACTIVE_KID="k2")
    assert me(rotated.test_client(), old).status_code == 200
    new = get_token(rotated.test_client(), accounts.email("viewer")).get_json()["access_token"]
    assert jwt.get_unverified_header(new)["kid"] == "k2"
    retired = make_app(JWT_KEYS=json.dumps({"k2": "b" * 40}), JWT_ACTIVE_KID="k2")
    assert me(retired.test_client(), old).status_code == 401
    assert me(retired.test_client(), new).status_code == 200


@pytest.fixture
def idp(tmp_path):
    """An external identity provider: an RSA key pair, its public key as a JWKS file."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(private.public_key()))
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps({"keys": [{**jwk, "kid": "idp-1", "use": "sig"}]}))
    return private, public_pem, jwks


def external_token(private, **overrides) -> str:
    now = utcnow()
    claims = {
        "sub": "ext-42",
        "email": "ext@example.org",
        "iss": "https://idp.example",
        "aud": "docpipe",
        "iat": now,
        "exp": now + timedelta(minutes=5),
        "groups_role": "operator",
    }
    claims.update(overrides)
    return jwt.encode(
        {k: v for k, v in claims.items() if v is not None}, private, algorithm="RS256", headers={"kid": "idp-1"}
    )


def test_external_provider_tokens(make_app, idp):
    private, public_pem, jwks = idp
    app = make_app(
        JWT_PUBLIC_KEYS=str(jwks),
        JWT_EXTERNAL_ISSUER="https://idp.example",
        JWT_EXTERNAL_AUDIENCE="docpipe",
        JWT_ROLE_CLAIM="groups_role",
    )
    with app.app_context():
        from webapp.services.pipelines import ensure_default_pipeline

        ensure_default_pipeline()
    client = app.test_client()
    good = me(client, external_token(private)).get_json()
    assert good == {"id": "ext-42", "email": "ext@example.org", "role": "operator", "external": True}
    auth = {"Authorization": f"Bearer {external_token(private, groups_role='viewer')}"}
    assert client.post("/api/v1/pipelines", json={}, headers=auth).status_code == 403
    assert me(client, external_token(private, iss="https://evil.example")).status_code == 401
    assert me(client, external_token(private, aud="other")).status_code == 401
    assert me(client, external_token(private, groups_role="superuser")).status_code == 401
    assert me(client, external_token(private, exp=None)).status_code == 401
    # Key confusion: an HS256 token "signed" with the provider's public key must not verify.
    confused = jwt.api_jws.PyJWS().encode(
        json.dumps(
            {
                "sub": "ext-42",
                "iss": "https://idp.example",
                "aud": "docpipe",
                "groups_role": "admin",
                "iat": int(utcnow().timestamp()),
                "exp": int(utcnow().timestamp()) + 300,
            }
        ).encode(),
        "k" * 40,
        algorithm="HS256",
        headers={"kid": "idp-1"},
    )
    forged = confused.split(".")
    import hashlib
    import hmac

    signing_input = f"{forged[0]}.{forged[1]}".encode()
    forged[2] = (
        base64.urlsafe_b64encode(hmac.new(public_pem, signing_input, hashlib.sha256).digest()).decode().rstrip("=")
    )
    assert me(client, ".".join(forged)).status_code == 401
