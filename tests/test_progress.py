"""The progress display: one rewritten line on a terminal, a few named lines elsewhere."""

import io

from augment.progress import SILENT, Progress


def test_off_a_terminal_a_line_per_quarter_and_the_end():
    out = io.StringIO()
    p = Progress(out, tty=False, every_s=1e9)
    p.start("GAN fit", 100, "epochs")
    for i in range(100):
        p.advance(1, f"d_loss {i}")
    lines = out.getvalue().splitlines()
    assert [line.split(":", 2)[2].split(" (")[0].strip() for line in lines] == [
        "25/100 epochs",
        "50/100 epochs",
        "75/100 epochs",
        "100/100 epochs",
    ]
    assert all(line.startswith("augment: GAN fit: ") for line in lines)
    assert "ETA" in lines[0] and "took" in lines[-1] and "d_loss 99" in lines[-1]


def test_on_a_terminal_one_line_rewritten_in_place():
    out = io.StringIO()
    p = Progress(out, tty=True)
    p.start("arms x seeds", 3, "done")
    for _ in range(3):
        p.advance()
    text = out.getvalue()
    assert text.count("\r\x1b[2K") == 3 and text.count("\n") == 1 and text.endswith("took 0:00\n")


def test_silent_and_empty_stages_write_nothing():
    out = io.StringIO()
    p = Progress(out, tty=False)
    p.start("nothing to fit", 0, "epochs")
    p.advance()
    SILENT.start("x", 5, "y")
    SILENT.advance()
    assert out.getvalue() == ""


def test_a_stage_begun_before_its_display_counts_from_its_own_start():
    # the GAN fits start before the flow (while Prefect's server boots); the flow's display of
    # them starts later, and its "took" and ETA must count from when the fits began
    import time

    out = io.StringIO()
    p = Progress(out, tty=True)
    p.start("GAN fit", 2, "epochs", since=time.monotonic() - 90)
    p.advance()
    assert "ETA 1:30" in out.getvalue()
    p.advance()
    assert out.getvalue().endswith("took 1:30\n")
