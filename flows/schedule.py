"""Schedules of a served flow, checked before anything is served."""

from __future__ import annotations

from augment.exceptions import ConfigError


def check_cron(expression: str) -> None:
    """Raise `ConfigError` (one line) when Prefect would reject ``expression``."""
    from prefect.client.schemas.schedules import CronSchedule
    from pydantic import ValidationError

    try:
        CronSchedule(cron=expression)
    except ValidationError as err:
        reason = err.errors()[0]["msg"].removeprefix("Value error, ")
        raise ConfigError(
            f"--cron {expression!r} is not a valid cron schedule ({reason});"
            " e.g. '0 3 * * *' (03:00 every day)"
        ) from None
