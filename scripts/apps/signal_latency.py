#!/usr/bin/env python3
"""signal_latency.py [ROUNDS]: how late a signal wakes an idle event loop.

An asyncio loop with nothing to do but wait (no timer due before the
signal) is woken by SIGALRM from setitimer(0.25 s), ROUNDS times (default
5), through loop.add_signal_handler (the C handler writes to the loop's
wake-up fd, which the handler can only do once the blocked epoll_wait has
returned EINTR). Prints the worst delay past the due time in milliseconds.
Exits 1 when the handler never ran within 5 s."""
import asyncio
import signal
import sys
import time

rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 5


async def main():
    loop = asyncio.get_running_loop()
    worst = 0.0
    for _ in range(rounds):
        fired = loop.create_future()
        loop.add_signal_handler(signal.SIGALRM, lambda: fired.done() or fired.set_result(time.monotonic()))
        due = time.monotonic() + 0.25
        signal.setitimer(signal.ITIMER_REAL, 0.25)
        # a long sleep keeps the loop's epoll_wait blocked past the due time
        sleeper = loop.create_task(asyncio.sleep(10))
        try:
            at = await asyncio.wait_for(fired, 5)
        except asyncio.TimeoutError:
            print("signal_latency: SIGALRM handler did not run within 5 s", file=sys.stderr)
            sys.exit(1)
        sleeper.cancel()
        loop.remove_signal_handler(signal.SIGALRM)
        worst = max(worst, (at - due) * 1000)
    print("%.1f" % worst)


asyncio.run(main())
