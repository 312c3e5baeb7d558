"""Structured logs carry the request id; JSON lines parse."""

from __future__ import annotations

import json
import logging

import pytest

from server.logs import configure_logging, request_id


def test_json_lines_carry_the_request_id_and_extras(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(json_lines=True, level="INFO")
    token = request_id.set("req-42")
    try:
        logging.getLogger("liveclass.test").info("hello %s", "world", extra={"status": 201})
    finally:
        request_id.reset(token)
    line = capsys.readouterr().err.strip().splitlines()[-1]
    entry = json.loads(line)
    assert entry["message"] == "hello world"
    assert entry["request_id"] == "req-42"
    assert entry["status"] == 201 and entry["level"] == "INFO"


def test_text_lines_show_the_request_id(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(json_lines=False, level="INFO")
    token = request_id.set("req-7")
    try:
        logging.getLogger("liveclass.test").warning("careful")
    finally:
        request_id.reset(token)
    assert "[req-7] careful" in capsys.readouterr().err
