"""A run keeps the first and the last of its output, with a marker for what went."""

from __future__ import annotations

from pathlib import Path

from engine.clock import FakeClock
from engine.engine import Engine
from engine.history.limits import KIB, MIB, OUTPUT_HEAD, split_output_limit
from engine.history.output_cap import OutputCap
from engine.model import Outcome, TaskSpec
from engine.store import Store
from tests.engine.history_helpers import add_task


def write(store: Store, cap: OutputCap, chunks: list[tuple[int, str]]) -> None:
    with store.transaction():
        cap.write(store.conn, chunks)


def test_the_default_keeps_the_first_64k_and_the_last_1m() -> None:
    assert split_output_limit(OUTPUT_HEAD + MIB) == (64 * KIB, MIB)
    assert split_output_limit(16 * KIB) == (8 * KIB, 8 * KIB)


def test_head_tail_and_a_marker_saying_how_much_went(store: Store, clock: FakeClock) -> None:
    add_task(store, clock, "t")
    with store.transaction():
        run_id = store.start_run("t", 1, clock.now_us())
    cap = OutputCap()
    cap.begin(run_id, 16 * KIB)  # 8K head, 8K tail
    lines = [f"line {i:05d} " + "." * 89 + "\n" for i in range(1000)]  # 100 bytes each, 100,000 in all
    for start in range(0, 1000, 37):  # in flushes, as the engine writes them
        write(store, cap, [(run_id, text) for text in lines[start : start + 37]])
    text = store.output_of_run(run_id)
    head, marker, tail = text[: 8 * KIB], text[8 * KIB : text.index("\n", 8 * KIB + 1) + 1], None
    tail = text[8 * KIB + len(marker) :]
    everything = "".join(lines)
    assert head == everything[: 8 * KIB]
    assert everything.endswith(tail) and 8 * KIB <= len(tail) < 8 * KIB + 100  # whole chunks, at least 8K
    dropped = len(everything) - len(head) - len(tail)
    assert cap.dropped(run_id) == dropped
    assert f"[workdeck] {dropped:,} bytes" in marker and "dropped here" in marker
    rows = store.conn.execute("SELECT COUNT(*) FROM output WHERE run_id = ?", (run_id,)).fetchone()[0]
    assert rows < 200  # the dropped rows are deleted as the tail moves on, not kept


def test_small_output_is_kept_whole_without_a_marker(store: Store, clock: FakeClock) -> None:
    add_task(store, clock, "t")
    with store.transaction():
        run_id = store.start_run("t", 1, clock.now_us())
    cap = OutputCap()
    cap.begin(run_id, 16 * KIB)
    write(store, cap, [(run_id, "hello\n"), (run_id, "x" * 12_000)])
    assert store.output_of_run(run_id) == "hello\n" + "x" * 12_000
    assert cap.dropped(run_id) == 0


def test_a_huge_chunk_and_multibyte_text_are_cut_on_characters(store: Store, clock: FakeClock) -> None:
    add_task(store, clock, "t")
    with store.transaction():
        run_id = store.start_run("t", 1, clock.now_us())
    cap = OutputCap()
    cap.begin(run_id, 8 * KIB)
    write(store, cap, [(run_id, "é" * 100_000)])  # 200,000 bytes in one chunk
    text = store.output_of_run(run_id)
    assert set(text.replace("\n", "").split("[workdeck]")[0]) == {"é"}
    assert text.startswith("é" * (2 * KIB)) and text.endswith("é" * (2 * KIB))
    assert len(text.encode()) < 8 * KIB + 300


def test_a_real_run_is_capped_by_its_output_limit(qtbot, tmp_path: Path, clock: FakeClock) -> None:  # type: ignore[no-untyped-def]
    engine = Engine(Store(tmp_path / "e.db"), clock)
    engine.start()
    try:
        script = "head -c 3000000 /dev/zero | tr '\\0' x; echo; echo THE-END"
        with qtbot.waitSignal(engine.run_finished, timeout=20_000) as finished:
            task = engine.enqueue(TaskSpec(worker="shell", args=("sh", "-c", script), output_limit=64 * KIB))
        assert finished.args[0].outcome is Outcome.SUCCEEDED
        log = engine.log(task.id)
        assert log.startswith("x" * 32 * KIB) and log.endswith("THE-END\n")
        assert "bytes (" in log and "of output dropped here" in log
        assert len(log) < 64 * KIB + 70 * KIB  # the tail holds whole chunks: at most one more
    finally:
        engine.stop()
        engine.store.close()
