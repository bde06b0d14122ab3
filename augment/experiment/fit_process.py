"""Fit one conditional GAN in a child process; the parent gets its epochs, grids and weights.

Two fits in threads of one process reach about 1.6x one fit on 2 cores (the GIL around many
small torch ops); in processes they run at full speed, and a fit can start while the parent is
still busy (the CLI starts them while Prefect's temporary server boots). The child never writes
the model: it sends the weights back (``torch.save`` bytes, read with ``weights_only``) and the
parent saves them, so the cache file is written where its errors (a full disk) are handled.

Children come from a fork server that has imported torch and this module once (spawn where
there is no fork server), ignore Ctrl-C (the parent stops them) and exit on their own when the
parent is gone (at once on Linux, else at the end of an epoch).
"""

from __future__ import annotations

import functools
import io
import multiprocessing as mp
import os
import pickle
import queue
import shutil
import signal
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import torch

from augment.config import GANConfig
from augment.data import LabeledDataset
from augment.experiment.gan_fit import fit_generator
from augment.gan.persist import model_payload

EpochFn = Callable[[int, dict[str, float]], None]
GridFn = Callable[[int, Path], None]

_CONTEXT_LOCK = threading.Lock()


class FitProcessDied(RuntimeError):
    """The child process ended without a result (killed, out of memory)."""


class FitStopped(FitProcessDied):
    """``stop()`` ended the fit: the run failed or was interrupted (an echo, never a cause)."""


@functools.cache
def _context() -> Any:
    """The fork server (torch and this module imported once) or, where there is none, spawn."""
    if "forkserver" in mp.get_all_start_methods():
        ctx = mp.get_context("forkserver")  # multiprocessing's one forkserver context
        ctx.set_forkserver_preload([__name__])
        return ctx
    return mp.get_context("spawn")  # Windows


@contextmanager
def _main_not_rerun() -> Iterator[None]:
    """Start children that do not run the parent's main script again (multiprocessing's way
    for spawn and the fork server): the child needs only `_child`, and a script that runs the
    flow at its top level, unguarded by ``if __name__ == "__main__"``, would start its whole run
    again in every child. Its ``__spec__`` and ``__file__`` are what multiprocessing reads."""
    main = sys.modules.get("__main__")
    if main is None:
        yield
        return
    saved = {k: main.__dict__[k] for k in ("__spec__", "__file__") if k in main.__dict__}
    main.__dict__["__spec__"] = None
    main.__dict__.pop("__file__", None)
    try:
        yield
    finally:
        main.__dict__.update(saved)


class FitProcess:
    """``fit_generator(train, gan)`` running in a child process from construction on.

    ``wait(on_epoch, on_grid)`` relays the fit's epoch rows and sample-grid PNGs (every
    ``grid_every`` epochs, images only; 0: none; in a temporary folder removed by ``stop``) as
    they come and returns the weights payload (`augment.gan.persist.save_payload` writes it).
    The child's exception is raised again here. ``stop()`` ends the child; it is safe to call at
    any time, and ``wait`` calls it on the way out.
    """

    def __init__(
        self,
        train: LabeledDataset,
        gan: GANConfig,
        threads: int = 1,
        grid_every: int = 0,
    ) -> None:
        ctx = _context()
        self._stopped = False
        self.started = time.monotonic()  # for the run's progress display
        self.grid_dir = tempfile.mkdtemp(prefix="augment-grids-") if grid_every else None
        grid_dir = self.grid_dir
        reader, writer = ctx.Pipe(duplex=False)
        args = (writer, train, gan, max(1, threads), grid_every, grid_dir, os.getpid(), os.getcwd())
        self._proc = ctx.Process(target=_child, args=args, daemon=True, name=f"fit-{gan.seed}")
        with _CONTEXT_LOCK, _main_not_rerun():
            self._proc.start()
        writer.close()  # the child holds the only write end: its exit is our EOF
        self._messages: queue.Queue = queue.Queue()
        self._reader = threading.Thread(target=self._read, args=(reader,), daemon=True)
        self._reader.start()  # drains the pipe at once: the child never waits on the parent

    def _read(self, conn: Any) -> None:
        try:
            while True:
                self._messages.put(conn.recv())
        except (EOFError, OSError):
            self._messages.put(None)
        finally:
            conn.close()

    def wait(self, on_epoch: EpochFn | None = None, on_grid: GridFn | None = None) -> dict:
        """Relay the fit's messages until it ends; its weights payload, or its error raised."""
        try:
            while True:
                msg = self._messages.get()
                if msg is None:
                    self._proc.join(5)
                    if self._stopped:
                        raise FitStopped("the GAN fit was stopped: the run failed or was ended")
                    raise FitProcessDied(
                        f"the GAN fit process ended without a result (exit code "
                        f"{self._proc.exitcode})"
                    )
                kind = msg[0]
                if kind == "epoch" and on_epoch is not None:
                    on_epoch(msg[1], msg[2])
                elif kind == "grid" and on_grid is not None:
                    on_grid(msg[1], Path(msg[2]))
                elif kind == "done":
                    self._proc.join(10)  # it exits by itself now
                    return torch.load(io.BytesIO(msg[1]), map_location="cpu", weights_only=True)
                elif kind == "error":
                    raise msg[1] or RuntimeError(f"the GAN fit failed in its process:\n{msg[2]}")
        finally:
            self.stop()

    def stop(self) -> None:
        """End the child (if it still runs) and reap it."""
        if self._proc.is_alive():
            self._stopped = True
            self._proc.terminate()
        self._proc.join(10)
        if self._proc.is_alive():
            self._proc.kill()
            self._proc.join(5)
        if self.grid_dir:
            shutil.rmtree(self.grid_dir, ignore_errors=True)


class _Terminated(BaseException):
    """SIGTERM in the child: unwind so that its finalizers run (tqdm's lock is a semaphore that
    the resource tracker would otherwise report as leaked at shutdown)."""


def _terminated(signum: int, frame: Any) -> None:
    raise _Terminated


def _stop_with_fork_server(run: int) -> None:
    """Linux: SIGTERM us when the fork server that started us ends. It ends when the run's
    process does, also when that is SIGKILLed (a Prefect worker stopped with SIGTERM kills its
    flow run so): the fit stops at once, not at the end of its epoch. Not under spawn, where
    our parent is the run itself and the signal would follow the thread that started us."""
    if not sys.platform.startswith("linux") or os.getppid() == run:
        return
    import ctypes

    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # the per-epoch check below still ends it


def _child(
    conn: Any,
    train: LabeledDataset,
    gan: GANConfig,
    threads: int,
    grid_every: int,
    grid_dir: str | None,
    parent: int,
    cwd: str,
) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the parent, which stops us
    signal.signal(signal.SIGTERM, _terminated)
    _stop_with_fork_server(parent)
    os.chdir(cwd)  # the fork server's is the one its first user had (relative checkpoint_dir)
    torch.set_num_threads(threads)

    def parent_gone() -> bool:
        try:
            os.kill(parent, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False

    def on_epoch(epoch: int, row: dict[str, float]) -> None:
        if parent_gone():  # killed (-9): nobody will use this fit
            os._exit(1)
        conn.send(("epoch", epoch, row))

    def on_snapshot(epoch: int, model: Any) -> None:
        if grid_dir and grid_every and epoch % grid_every == 0:
            from augment import plots  # matplotlib, only when drawing

            png = Path(grid_dir) / f"sample_grid_epoch{epoch:04d}.png"
            plots.sample_grid(model, train.class_names, png, title=f"epoch {epoch} (EMA)")
            conn.send(("grid", epoch, str(png)))

    try:
        model = fit_generator(train, gan, callback=on_epoch, progress=False, snapshot=on_snapshot)
        buf = io.BytesIO()
        torch.save(model_payload(model), buf)
        conn.send(("done", buf.getvalue()))
    except _Terminated:  # stopped by the parent, which expects no answer
        pass
    except BaseException as err:  # noqa: BLE001 -- every failure goes to the parent
        text = "".join(traceback.format_exception(err))
        try:
            try:
                conn.send(("error", err, text))
            except (pickle.PicklingError, TypeError, AttributeError):  # an error that will not
                conn.send(("error", None, text))  # pickle travels as its traceback
        except OSError:  # the parent is gone: nobody to tell
            pass
    finally:
        conn.close()
