"""``recur serve``'s hostile flags: a checkpoint that is missing or not a language model, a bad or
busy port, a bad host, a weak token. Each ends in one error line and a non-zero exit, before any
server runs."""

import socket

import pytest

from recur.cli import main


@pytest.fixture(scope="module")
def forecast_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("forecast") / "run"
    assert main(["train", "forecast", "--series", "airline", "--out", str(out), "--max-steps", "1",
                 "--hidden", "8", "--batch-size", "8"]) == 0
    return out


def test_a_checkpoint_that_is_missing_or_no_language_model(refused, tmp_path, forecast_dir):
    refused(["serve", tmp_path / "nowhere"], "no such checkpoint folder")
    refused(["serve", tmp_path], "not a recur checkpoint")
    (tmp_path / "file").write_text("x")
    refused(["serve", tmp_path / "file"], "not a folder")
    refused(["serve", forecast_dir], "a forecast model", "'recur serve' needs a model of charlm or wordlm")


@pytest.mark.parametrize("port, fragment", [("70000", "in [0, 65535], got 70000"), ("-1", "in [0, 65535], got -1"),
                                            ("http", "must be an integer"), ("80.5", "must be an integer"),
                                            ("1e3", "must be an integer"), ("", "must be an integer")])
def test_bad_ports(refused, tiny_charlm_dir, port, fragment):
    refused(["serve", tiny_charlm_dir, "--port", port], "argument --port", fragment)


def test_a_port_in_use(refused, tiny_charlm_dir):
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        refused(["serve", tiny_charlm_dir, "--port", port], f"cannot listen on 127.0.0.1:{port}", "in use",
                "--port 0 picks a free port")


@pytest.mark.parametrize("host", ["", "not a host", "300.1.2.3", "[::1", "a..b", "-bad.example", "x" * 300,
                                  "127.0.0.1:8000", "http://localhost", "::g"])
def test_hosts_that_are_neither_an_address_nor_a_name(refused, tiny_charlm_dir, host):
    refused(["serve", tiny_charlm_dir, f"--host={host}", "--port", "0"], "--host must be an IP address or a host name")


def test_an_address_this_machine_does_not_have(refused, tiny_charlm_dir):
    refused(["serve", tiny_charlm_dir, "--host", "192.0.2.1", "--port", "0"],  # TEST-NET-1: nobody's
            "cannot listen on 192.0.2.1:0")


@pytest.mark.parametrize("token, fragment", [("", "at least 16 characters, got 0"),
                                             ("short", "at least 16 characters, got 5"),
                                             ("with spaces in it, long enough", "without spaces"),
                                             ("é" * 20, "printable ASCII"),
                                             ("tab\there-and-long-enough", "printable")])
def test_weak_or_unusable_tokens(refused, tiny_charlm_dir, token, fragment):
    refused(["serve", tiny_charlm_dir, "--token", token], "--token", fragment)


def test_a_weak_token_from_the_environment(refused, tiny_charlm_dir, monkeypatch):
    monkeypatch.setenv("RECUR_SERVE_TOKEN", "secret")
    refused(["serve", tiny_charlm_dir], "RECUR_SERVE_TOKEN must have at least 16 characters")
