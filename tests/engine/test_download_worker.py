"""The download worker against a real HTTP server on 127.0.0.1 (http.server in a thread)."""

from __future__ import annotations

import gc
import hashlib
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from engine.errors import BadSpecError
from engine.model import Constraint, Outcome, StopReason
from engine.workers.base import WorkContext
from engine.workers.download import DownloadWorker, _Download
from tests.engine.worker_helpers import make_ctx
from tests.hanging_http import hanging_http

PAYLOAD = bytes(range(256)) * 4096  # 1 MiB, every offset distinguishable


@dataclass
class Behaviour:
    payload: bytes = PAYLOAD
    etag: str = '"v1"'
    drop_first_after: int | None = None  # close the connection mid-body, once
    stall_after: int | None = None  # send this much, then wait for `release`
    ignore_range: bool = False
    status: int = 200
    requests: list[dict[str, str]] = field(default_factory=list)
    half_sent: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)


def _handler(behaviour: Behaviour) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:  # quiet
            pass

        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            behaviour.requests.append({k.lower(): v for k, v in self.headers.items()})
            if behaviour.status != 200:
                self.send_response(behaviour.status)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            body, start = behaviour.payload, 0
            wanted = self.headers.get("Range")
            if_range = self.headers.get("If-Range")
            if wanted and not behaviour.ignore_range and (if_range is None or if_range == behaviour.etag):
                start = int(wanted.removeprefix("bytes=").rstrip("-"))
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
            else:
                self.send_response(200)
            self.send_header("ETag", behaviour.etag)
            self.send_header("Content-Length", str(len(body) - start))
            self.end_headers()
            rest = body[start:]
            if behaviour.drop_first_after is not None:
                cut, behaviour.drop_first_after = behaviour.drop_first_after, None
                self.wfile.write(rest[:cut])
                self.wfile.flush()
                self.close_connection = True
                return
            if behaviour.stall_after is not None:
                self.wfile.write(rest[: behaviour.stall_after])
                self.wfile.flush()
                behaviour.half_sent.set()
                behaviour.release.wait(10)
                self.close_connection = True
                return
            self.wfile.write(rest)

    return Handler


@pytest.fixture
def server() -> Iterator[tuple[str, Behaviour]]:
    behaviour = Behaviour()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(behaviour))
    httpd.daemon_threads = False
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="test-http")
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/files/data.bin", behaviour
    finally:
        behaviour.release.set()
        httpd.shutdown()
        httpd.server_close()
        thread.join(10)
        assert not thread.is_alive()


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_downloads_into_a_folder_with_progress_by_bytes(server: tuple[str, Behaviour], tmp_path: Path) -> None:
    url, _ = server
    ctx, rec = make_ctx([url, str(tmp_path)])
    result = DownloadWorker().run(ctx)
    assert result.outcome is Outcome.SUCCEEDED, rec.text
    target = tmp_path / "data.bin"
    assert _sha(target.read_bytes()) == _sha(PAYLOAD)
    assert result.output == {"path": str(target), "bytes": len(PAYLOAD), "url": url}
    assert rec.progress[-1][0] == 1.0
    assert not list(tmp_path.glob("*.part*"))


def test_resumes_with_a_range_request_after_the_connection_drops(server: tuple[str, Behaviour], tmp_path: Path) -> None:
    url, behaviour = server
    behaviour.drop_first_after = 300_000
    ctx, rec = make_ctx([url, str(tmp_path / "out.bin")])
    result = DownloadWorker(resume_delay=0).run(ctx)
    assert result.outcome is Outcome.SUCCEEDED, rec.text
    assert _sha((tmp_path / "out.bin").read_bytes()) == _sha(PAYLOAD)
    assert len(behaviour.requests) == 2
    assert "range" not in behaviour.requests[0]
    assert behaviour.requests[1]["range"] == "bytes=300000-"
    assert behaviour.requests[1]["if-range"] == '"v1"'
    assert "resuming at byte 300000" in rec.text


def test_cancel_mid_body_keeps_the_part_and_a_later_run_resumes_it(server: tuple[str, Behaviour], tmp_path: Path) -> None:
    url, behaviour = server
    behaviour.stall_after = 200_000
    dest = tmp_path / "out.bin"
    wrote = threading.Event()
    ctx, rec = make_ctx([url, str(dest)], on_progress=lambda _ctx, fraction, _msg: wrote.set())
    results = []
    worker_thread = threading.Thread(target=lambda: results.append(DownloadWorker().run(ctx)))
    worker_thread.start()
    assert behaviour.half_sent.wait(10)
    assert wrote.wait(10)  # bytes are in the part file; the server now stalls
    ctx.cancel(StopReason.CANCELLED_BY_USER)
    worker_thread.join(10)
    behaviour.release.set()
    assert results[0].outcome is Outcome.CANCELLED
    assert not dest.exists()  # never half a file under the final name
    part = tmp_path / "out.bin.part"
    assert 0 < part.stat().st_size <= 200_000
    assert part.read_bytes() == PAYLOAD[: part.stat().st_size]

    behaviour.stall_after = None
    have = part.stat().st_size
    ctx2, rec2 = make_ctx([url, str(dest)])
    assert DownloadWorker().run(ctx2).outcome is Outcome.SUCCEEDED, rec2.text
    assert behaviour.requests[-1]["range"] == f"bytes={have}-"
    assert _sha(dest.read_bytes()) == _sha(PAYLOAD)


def test_a_changed_file_on_the_server_is_fetched_anew(server: tuple[str, Behaviour], tmp_path: Path) -> None:
    url, behaviour = server
    dest = tmp_path / "out.bin"
    (tmp_path / "out.bin.part").write_bytes(b"x" * 1000)  # from version v0
    (tmp_path / "out.bin.part.json").write_text(json.dumps({"url": url, "validator": '"v0"'}))
    ctx, rec = make_ctx([url, str(dest)])
    assert DownloadWorker().run(ctx).outcome is Outcome.SUCCEEDED
    assert behaviour.requests[0]["if-range"] == '"v0"'  # the server answered 200: start over
    assert dest.read_bytes() == PAYLOAD
    assert "starting over" in rec.text


def test_a_server_that_ignores_ranges_is_handled(server: tuple[str, Behaviour], tmp_path: Path) -> None:
    url, behaviour = server
    behaviour.drop_first_after, behaviour.ignore_range = 100_000, True
    ctx, rec = make_ctx([url, str(tmp_path / "out.bin")])
    assert DownloadWorker(resume_delay=0).run(ctx).outcome is Outcome.SUCCEEDED, rec.text
    assert (tmp_path / "out.bin").read_bytes() == PAYLOAD


def test_http_errors_fail_the_run_with_the_status(server: tuple[str, Behaviour], tmp_path: Path) -> None:
    url, behaviour = server
    behaviour.status = 404
    ctx, rec = make_ctx([url, str(tmp_path / "out.bin")])
    result = DownloadWorker().run(ctx)
    assert result.outcome is Outcome.FAILED
    assert result.error is not None and "HTTP 404" in result.error
    assert not (tmp_path / "out.bin").exists()


@pytest.mark.parametrize("status", [200, 404], ids=["saved", "http-error"])
def test_a_finished_run_leaves_no_reference_cycle_behind(
    server: tuple[str, Behaviour], tmp_path: Path, status: int
) -> None:
    """The run's context and its download are freed by reference counting when the run
    ends: the cancel callbacks (the download's bound ``_abort``), left in the context the
    download holds, made each run a cycle only the garbage collector freed (issue 14).
    httpx's own cycle (a Response and its BoundSyncStream, 0.28) is not looked at."""
    url, behaviour = server
    behaviour.status = status
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)  # what a collection finds unreachable is kept for a look, not freed
    try:
        for i in range(2):
            log: list[str] = []  # not make_ctx's: its progress sink holds the context
            args = (url, str(tmp_path / f"out{i}.bin"))
            ctx = WorkContext(task_id=f"c{i}", attempt=1, args=args, on_log=log.append)
            outcome = DownloadWorker().run(ctx).outcome
            assert outcome is (Outcome.SUCCEEDED if status == 200 else Outcome.FAILED), "".join(log)
        del ctx
        gc.collect()
        assert [o for o in gc.garbage if isinstance(o, (WorkContext, _Download))] == []
    finally:
        gc.set_debug(0)
        gc.garbage.clear()


def test_validation_and_the_implied_network_constraint() -> None:
    worker = DownloadWorker()
    with pytest.raises(BadSpecError, match="not an http"):
        worker.validate(["ftp://example.org/x", "/tmp/x"])
    with pytest.raises(BadSpecError, match="two arguments"):
        worker.validate(["https://example.org/x"])
    assert worker.implied_constraints == (Constraint.NETWORK,)


@pytest.mark.parametrize("segment", [
    "..%2F..%2Fescaped.txt",  # the URL: decoded after the split, it climbed two folders
    "%2E%2E%2F%2E%2E%2Fescaped.txt",
    "..%5C..%5Cescaped.txt",  # a backslash is no separator here, and no file name either
    "%2E%2E",  # the folder's parent itself
    "%2Fetc%2Fescaped.txt",  # an absolute name
    "esc%00aped.txt",  # NUL
])
def test_a_file_named_by_the_url_stays_inside_the_destination(
    server: tuple[str, Behaviour], tmp_path: Path, segment: str
) -> None:
    url, behaviour = server
    dest = tmp_path / "a" / "b" / "dest"
    dest.mkdir(parents=True)
    ctx, rec = make_ctx([url.rsplit("/", 1)[0] + "/" + segment, str(dest)])
    result = DownloadWorker().run(ctx)
    assert result.outcome is Outcome.FAILED, rec.text
    assert result.error is not None and "not a plain file name" in result.error
    assert behaviour.requests == []  # refused before a byte was asked for
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")) == ["a", "a/b", "a/b/dest"]


def test_an_encoded_plain_name_is_decoded(server: tuple[str, Behaviour], tmp_path: Path) -> None:
    url, _ = server
    ctx, rec = make_ctx([url.rsplit("/", 1)[0] + "/my%20data%2Bv2.bin", str(tmp_path)])
    assert DownloadWorker().run(ctx).outcome is Outcome.SUCCEEDED, rec.text
    assert (tmp_path / "my data+v2.bin").read_bytes() == PAYLOAD


@pytest.fixture
def hanging_server() -> Iterator[tuple[str, threading.Event]]:
    """A loopback server that accepts connections and never answers; stops itself."""
    with hanging_http("/files/data.bin") as server:
        yield server


@pytest.mark.realtime  # a real socket blocked in recv, and how long the cancel takes to end it
@pytest.mark.parametrize("via", ["direct", "proxy"])
def test_cancel_wakes_a_run_whose_server_never_answers(
    hanging_server: tuple[str, threading.Event], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, via: str
) -> None:
    """The server accepted and sends nothing: no response exists yet to close, and the
    read timeout (30 s) is far away. The cancel (a user's, or the task timeout's) must
    end the run at once all the same, also through a proxy from the environment."""
    url, accepted = hanging_server
    for name in ("ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy", "HTTPS_PROXY", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    if via == "proxy":  # the silent server is the proxy; the URL names a host never reached
        proxy = url.rsplit("/files/", 1)[0]
        monkeypatch.setenv("HTTP_PROXY", proxy)
        monkeypatch.setenv("http_proxy", proxy)
        url = "http://downloads.example.invalid/files/data.bin"
    else:
        monkeypatch.delenv("HTTP_PROXY", raising=False)
        monkeypatch.delenv("http_proxy", raising=False)
    ctx, rec = make_ctx([url, str(tmp_path / "out.bin")])
    results: list[tuple[float, Any]] = []
    worker_thread = threading.Thread(target=lambda: results.append((time.monotonic(), DownloadWorker().run(ctx))))
    worker_thread.start()
    assert accepted.wait(10)  # its whole request arrived: it is reading the status line that never comes
    cancelled_at = time.monotonic()
    ctx.cancel(StopReason.TIMED_OUT)
    worker_thread.join(10)
    assert not worker_thread.is_alive()
    ended_at, result = results[0]
    assert result.outcome is Outcome.CANCELLED, rec.text
    assert ended_at - cancelled_at < 1.0
    assert not (tmp_path / "out.bin").exists()
