"""A progress bar for train(progress=True): tqdm's when tqdm is installed, else a small one of
our own on stderr in the same style (the command line's bar)."""
import sys
import time


class _TextBar:
    def __init__(self, total, desc):
        self.total, self.desc = total, desc
        self.start = self.last = time.monotonic()
        self.n = 0

    def update_to(self, done, cost):
        self.n = done
        now = time.monotonic()
        if now - self.last < 0.1 and done < self.total:
            return
        self.last = now
        width = 30
        filled = width * done // self.total if self.total else width
        elapsed = now - self.start
        rate = done / elapsed if elapsed > 0 else 0.0
        sys.stderr.write(f"\r{self.desc}: [{'#' * filled}{'.' * (width - filled)}] {done}/{self.total}"
                         f" cost {cost:.6f} {elapsed:.1f}s {rate:.0f} it/s ")
        sys.stderr.flush()

    def close(self):
        sys.stderr.write("\n")
        sys.stderr.flush()


class _TqdmBar:
    def __init__(self, total, desc):
        import tqdm

        self.bar = tqdm.tqdm(total=total, desc=desc)

    def update_to(self, done, cost):
        self.bar.update(done - self.bar.n)
        self.bar.set_postfix(cost=f"{cost:.6f}", refresh=False)

    def close(self):
        self.bar.close()


def progress_bar(total, desc="train"):
    """An object with update_to(done, cost) and close()."""
    try:
        return _TqdmBar(total, desc)
    except ImportError:
        return _TextBar(total, desc)
