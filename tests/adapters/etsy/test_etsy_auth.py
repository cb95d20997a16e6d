"""`feedsync auth etsy`: OAuth 2.0 with PKCE end to end (Etsy's endpoints answered by
``responses``), and what the adapter's auth sends."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from click.testing import CliRunner
from feedsync.adapters.etsy import auth as etsy_auth
from feedsync.adapters.etsy.authorize import read_code
from feedsync.adapters.etsy.config import TOKEN_URL

from feedsync.cli.main import cli
from feedsync.errors import AuthError, UsageError

REDIRECT = "http://localhost:3003/oauth/redirect"


def test_pkce_challenge_is_rfc7636_s256() -> None:
    # RFC 7636 Appendix B: verifier → challenge
    assert etsy_auth.challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") == \
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    pkce = etsy_auth.Pkce.new()
    assert 43 <= len(pkce.verifier) <= 128 and pkce.challenge == etsy_auth.challenge(
        pkce.verifier)


def test_authorize_url_carries_every_documented_parameter() -> None:
    pkce = etsy_auth.Pkce("v" * 64, "c" * 43)
    url = etsy_auth.authorize_url("https://www.etsy.com/oauth/connect", keystring="key",
                                  redirect_uri=REDIRECT, scopes=["listings_r", "listings_w"],
                                  state="st", pkce=pkce)
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "https://www.etsy.com/oauth/connect"
    assert {k: v[0] for k, v in parse_qs(parts.query).items()} == {
        "response_type": "code", "client_id": "key", "redirect_uri": REDIRECT,
        "scope": "listings_r listings_w", "state": "st", "code_challenge": "c" * 43,
        "code_challenge_method": "S256"}


def test_read_code_checks_state() -> None:
    assert read_code(f"{REDIRECT}?code=abc&state=s1", "s1") == "abc"
    assert read_code("abc", "s1") == "abc"
    with pytest.raises(UsageError, match="another authorization"):
        read_code(f"{REDIRECT}?code=abc&state=other", "s1")
    with pytest.raises(AuthError, match="Etsy refused the authorization"):
        read_code(f"{REDIRECT}?error=access_denied&state=s1", "s1")


def test_user_id_is_the_access_token_prefix() -> None:
    assert etsy_auth.user_id_of("12345678.abcdef") == "12345678"
    assert etsy_auth.user_id_of("opaque") is None


@responses.activate
def test_feedsync_auth_etsy_stores_the_refresh_token_and_finds_the_shop(
        workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = workspace / "feedsync.toml"
    config.write_text(config.read_text() + '\n[channels.etsy]\nenabled = false\n'
                      'delivery = "api"\n', encoding="utf-8")
    monkeypatch.setenv("FEEDSYNC_ETSY__KEYSTRING", "app-keystring")
    monkeypatch.setattr("feedsync.adapters.etsy.authorize.secrets.token_urlsafe",
                        lambda n=16: "fixed-state")
    seen: dict[str, str] = {}

    def token(request):  # type: ignore[no-untyped-def]
        seen.update({k: v[0] for k, v in parse_qs(request.body).items()})
        return 200, {}, json.dumps({"access_token": "777.access-secret", "token_type": "Bearer",
                                    "expires_in": 3600, "refresh_token": "777.refresh-secret"})

    responses.add_callback(responses.POST, TOKEN_URL, callback=token)
    responses.add(responses.GET, "https://api.etsy.com/v3/application/users/777/shops",
                  json={"shop_id": 5550001, "shop_name": "AdaMakes"})
    runner = CliRunner()
    result = runner.invoke(cli, ["--workspace", str(workspace), "auth", "etsy"],
                           input=f"{REDIRECT}?code=the-code&state=fixed-state\n")
    assert result.exit_code == 0, result.output
    printed = result.output + (result.stderr if result.stderr_bytes is not None else "")
    assert "code_challenge=" in printed and "shop_id = 5550001" in printed
    assert "refresh-secret" not in printed and "access-secret" not in printed
    challenge = parse_qs(urlsplit(next(line for line in printed.splitlines()
                                       if "oauth/connect" in line)).query)["code_challenge"][0]
    assert seen["grant_type"] == "authorization_code" and seen["code"] == "the-code"
    assert seen["client_id"] == "app-keystring" and seen["redirect_uri"] == REDIRECT
    assert etsy_auth.challenge(seen["code_verifier"]) == challenge
    from feedsync.catalog import open_catalog
    from feedsync.http import SqliteStateStore

    stored = SqliteStateStore(open_catalog(workspace / "feedsync.db").db).get_refresh_token(
        "etsy", "default")
    assert stored is not None and stored.token == "777.refresh-secret"
