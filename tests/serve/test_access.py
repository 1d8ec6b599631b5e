"""Who may ask ``recur serve``: the token (every route, header or query, 401 JSON otherwise), the
Host check on loopback only, the warning off loopback, and host names checked before any lookup."""

import socket

import pytest

from recur.cli import main
from recur.errors import RecurError
from recur.serve import server
from recur.serve.access import allowed_hosts, check_token, exposure_warning, is_loopback
from recur.serve.app import create_app
from recur.serve.server import family_of
from tests.conftest import starlette_test_client

TestClient = starlette_test_client()

TOKEN = "s3cret-token-for-tests"


@pytest.fixture(scope="module")
def guarded(charlm):
    with TestClient(create_app(charlm, "tiny", token=TOKEN)) as client:
        yield client


@pytest.mark.parametrize("method, path, extra", [
    ("GET", "/", {}), ("POST", "/api/generate", {"json": {"length": 5}}), ("POST", "/api/cells", {"json": {}}),
    ("GET", "/nowhere", {}), ("GET", "/?token=wrong-token-of-some-length", {}),
    ("GET", "/", {"headers": {"authorization": "Bearer " + TOKEN[:-1]}}),
    ("GET", "/", {"headers": {"authorization": "Basic " + TOKEN}}),
    ("GET", "/?token=" + TOKEN + "x", {}), ("GET", "/?token=%FF%FE", {}),
])
def test_requests_without_the_token_get_401_json(guarded, method, path, extra):
    response = guarded.request(method, path, **extra)
    assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"
    assert "needs its token" in response.json()["error"]


def test_the_token_opens_every_route(guarded, charlm):
    page = guarded.get("/?token=" + TOKEN)
    assert page.status_code == 200 and "Authorization = `Bearer ${token}`" in page.text
    bearer = {"authorization": "Bearer " + TOKEN}
    assert guarded.post("/api/generate", json={"length": 7, "seed": 2}, headers=bearer).text == \
        charlm.generate("", 7, seed=2)
    assert guarded.post("/api/cells?token=" + TOKEN, json={"text": "ab", "top": 1}).status_code == 200
    assert guarded.post("/api/generate", json={"length": 0}, headers=bearer).json()["field"] == "length"


@pytest.mark.parametrize("address, loopback", [("127.0.0.1", True), ("127.0.0.2", True), ("::1", True),
                                               ("0.0.0.0", False), ("::", False), ("192.168.1.5", False),
                                               ("localhost", False)])  # only bound addresses are asked
def test_loopback_addresses(address, loopback):
    assert is_loopback(address) is loopback
    assert (allowed_hosts(address) is not None) is loopback
    assert (exposure_warning(address, 8000, None) is None) is loopback


def test_the_warning_says_what_is_exposed_and_what_helps():
    bare = exposure_warning("0.0.0.0", 8000, None)
    assert bare.startswith("recur serve: warning: listening on 0.0.0.0:8000") and "Host check is off" in bare
    assert "--token" in bare and "RECUR_SERVE_TOKEN" in bare and "\n" not in bare
    assert "plain HTTP" in exposure_warning("0.0.0.0", 8000, TOKEN)


def test_tokens():
    assert check_token(None) is None and check_token(TOKEN) == TOKEN
    for weak in ("", "short", "sixteen chars ok", "é" * 16, "line\nbreak-and-more-chars"):
        with pytest.raises(RecurError, match="--token must"):
            check_token(weak)


@pytest.mark.parametrize("host, family", [("127.0.0.1", socket.AF_INET), ("::1", socket.AF_INET6),
                                          ("localhost", socket.AF_INET), ("my-host.example", socket.AF_INET),
                                          ("fe80::1%lo", socket.AF_INET6)])
def test_addresses_and_names_are_accepted(host, family):
    assert family_of(host) == family


class Stopped:
    """A server that stops at once, closing the socket it was given."""

    def run(self, sockets):
        for sock in sockets:
            sock.close()


def test_serving_beyond_this_machine_warns_on_stderr(charlm_dir, monkeypatch, capsys):
    monkeypatch.setattr(server, "server_for", lambda app: Stopped())
    assert main(["serve", str(charlm_dir), "--host", "0.0.0.0", "--port", "0"]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("recur serve: http://0.0.0.0:")
    assert captured.err.splitlines()[0].startswith("recur serve: warning: listening on 0.0.0.0:")
    monkeypatch.setenv("RECUR_SERVE_TOKEN", TOKEN)
    assert main(["serve", str(charlm_dir), "--host", "0.0.0.0", "--port", "0"]) == 0
    captured = capsys.readouterr()
    assert "needs the token" in captured.out and TOKEN not in captured.out + captured.err
    assert "requests need the token" in captured.err
    assert main(["serve", str(charlm_dir), "--port", "0"]) == 0
    assert "warning" not in capsys.readouterr().err  # loopback: no warning, token or not
