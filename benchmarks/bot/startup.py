"""A worker starting: Django set up, then the bot built and a first question answered, timed
and with the process's resident memory at each step. Prints one JSON line."""

import json
import sys
import time


def resident_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def main(question: str) -> None:
    started = time.perf_counter()
    import django

    django.setup()
    from bots.loading import get_bot

    set_up = time.perf_counter()
    before = resident_mb()
    bot = get_bot()
    built = time.perf_counter()
    bot.respond(question)
    answered = time.perf_counter()
    print(
        json.dumps(
            {
                "setup_s": set_up - started,
                "build_s": built - set_up,
                "first_reply_ms": (answered - built) * 1000,
                "rss_before_mb": before,
                "rss_after_mb": resident_mb(),
                "semantic": getattr(bot, "semantic", False),
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main(sys.argv[1])
