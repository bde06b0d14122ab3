"""``augment serve``: the flow as a scheduled Prefect deployment on a configured server."""

from __future__ import annotations

import argparse

MAX_INTERVAL_S = 366 * 24 * 3600


def add_parser(sub, verbose: argparse.ArgumentParser) -> None:
    srv = sub.add_parser(
        "serve", parents=[verbose], help="serve the flow as a scheduled Prefect deployment"
    )
    srv.add_argument("config", nargs="?", help="YAML run config: the deployment's parameters")
    when = srv.add_mutually_exclusive_group()
    when.add_argument("--cron", help="cron schedule, e.g. '0 3 * * *'")
    when.add_argument("--interval", type=float, help="run every SECONDS")
    srv.add_argument("--name", default="augment-scheduled", help="deployment name")
    srv.set_defaults(handler=command)


def command(args: argparse.Namespace) -> int:
    import math

    from augment.config import load_config
    from augment.exceptions import ConfigError

    cfg = load_config(args.config)
    if args.interval is not None and not (
        math.isfinite(args.interval) and 0 < args.interval <= MAX_INTERVAL_S
    ):
        raise ConfigError(
            f"--interval must be > 0 and at most {MAX_INTERVAL_S} seconds, got {args.interval}"
        )
    if args.cron is not None:
        from flows.schedule import check_cron

        check_cron(args.cron)
    from flows.server import configured

    if not configured():
        raise ConfigError(
            "serving needs a Prefect server: run `prefect server start` and set PREFECT_API_URL "
            "(e.g. http://127.0.0.1:4200/api)"
        )
    from augment.experiment.preflight import preflight

    preflight(cfg)  # bad data or settings fail now, not at the first scheduled run
    from flows.augmentation import augmentation_flow

    augmentation_flow.serve(
        name=args.name,
        parameters={"config": cfg.model_dump(mode="json")},
        cron=args.cron,
        interval=args.interval,
        pause_on_shutdown=False,
        tags=["augment"],
    )
    return 0
