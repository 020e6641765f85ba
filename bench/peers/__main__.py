"""`cd bench && python3 -m peers ...`: the same as scripts/bench_peers (which it re-runs under another
python3 when this one lacks numpy or torch)."""

from .interpreter import pick_interpreter

pick_interpreter()

from .cli import main  # noqa: E402  (numpy is imported only once the interpreter is settled)

main()
