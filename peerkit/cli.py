"""The ``peerkit`` command."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from . import __version__


def _validate(args: argparse.Namespace) -> int:
    from .content import default_data_dir, validate_path

    target = args.path or default_data_dir()
    problems, content = validate_path(target)
    for problem in problems:
        print(problem)
    if problems:
        count = len(problems)
        print(f"{count} problem{'s' if count != 1 else ''} found in {target}", file=sys.stderr)
        return 1
    assert content is not None
    print(f"{target}: OK: {content.summary()}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="peerkit", description="Live, interactive peer-support workshops in Jupyter."
    )
    parser.add_argument("--version", action="version", version=f"peerkit {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    validate = commands.add_parser(
        "validate",
        help="check workshop content files and report every problem with file and line",
        description="Check a data folder (default: the workshop's data/) or one content file.",
    )
    validate.add_argument("path", nargs="?", help="a data folder or a single YAML file")
    validate.set_defaults(run=_validate)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
