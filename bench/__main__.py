"""The command line: ``python -m bench [options]``, ``python -m bench datalayer [options]`` or
``python -m bench events [options]``."""

import argparse
import signal
import sys

from bench import datalayer, events, suite
from bench.seed import FIRST_NUMBER


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description="Load ContactHub with wrk and record the results."
    )
    parser.add_argument("--contacts", type=int, default=1_000_000, help="contacts to seed")
    parser.add_argument("--messages", type=int, default=1_000_000, help="messages to seed")
    parser.add_argument("--duration", type=int, default=15, help="seconds per scenario")
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL instead of SQLite")
    commands = parser.add_subparsers(dest="command")
    layer = commands.add_parser("datalayer", help="the lookup served five ways, on SQLite")
    layer.add_argument("--contacts", type=int, default=100_000, help="contacts to seed")
    layer.add_argument("--duration", type=int, default=10, help="seconds per app")
    feed = commands.add_parser("events", help="webhook latency and throughput, a feed walk")
    feed.add_argument("--postgres", action="store_true", help="PostgreSQL instead of SQLite")
    feed.add_argument("--walk", type=int, default=1_000_000, help="events in the feed walked")
    feed.add_argument("--deliveries", type=int, default=20_000, help="events one worker sends")
    feed.add_argument("--seconds", type=float, default=15, help="of creates in the latency run")
    return parser


def main() -> None:
    """Parse the command line and run; a SIGTERM unwinds like Ctrl-C, so cleanup always runs."""
    args = _parser().parse_args()
    if not 2 <= args.contacts <= suite.LAST_NUMBER - FIRST_NUMBER - 1_000_000:
        sys.exit("--contacts must be between 2 and 6,999,999 (the +1415 numbers left for creates)")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        if args.command == "events":
            events.run(args.postgres, args.walk, args.deliveries, args.seconds)
        elif args.command == "datalayer":
            datalayer.run(args.contacts, args.duration)
        else:
            suite.run(suite.Options(args.contacts, args.messages, args.duration, args.postgres))
    except KeyboardInterrupt:
        sys.exit("interrupted (servers stopped, temporary databases removed)")


main()
