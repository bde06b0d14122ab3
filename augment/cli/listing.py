"""``augment arms`` and ``augment datasets``: what a run can compare and load."""

from __future__ import annotations

import argparse


def add_parser(sub, verbose: argparse.ArgumentParser) -> None:
    sub.add_parser("datasets", help="list built-in datasets").set_defaults(handler=datasets)
    sub.add_parser("arms", help="list the arms a run can compare").set_defaults(handler=arms)


def arms(args: argparse.Namespace) -> int:
    from augment.arms import get, names

    for name in names():
        arm = get(name)
        flags = [k for k, on in (("default", arm.default), ("GAN", arm.uses_generator)) if on]
        kinds = "tables and images" if len(arm.kinds) == 2 else f"{arm.kinds[0]}s only"
        print(f"{name:<18} {arm.help} [{', '.join([kinds, *flags])}]")
    return 0


def datasets(args: argparse.Namespace) -> int:
    from augment.data import BUILTINS

    for name, (desc, _) in BUILTINS.items():
        print(f"builtin:{name:<15} {desc}")
    return 0
