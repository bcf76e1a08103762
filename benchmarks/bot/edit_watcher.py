"""A stand-in for another worker process: answers one question in a loop, as
fast as it can, and prints the time the answer first becomes the edited one."""

import sys
import time

import django


def main(question: str, edited_answer: str) -> None:
    django.setup()
    from bots.loading import get_bot

    get_bot().respond(question)  # built before the edit, like a warm worker
    print("ready", flush=True)
    deadline = time.time() + 20
    while time.time() < deadline:
        if get_bot().respond(question).text == edited_answer:
            print(time.time(), flush=True)
            return
        time.sleep(0.005)
    print("inf", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
