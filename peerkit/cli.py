"""The ``peerkit`` command."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from . import __version__, i18n
from .content import ContentError
from .flagging import fold
from .i18n import UnknownLanguageError, _, check_language, format_number, languages, ngettext
from .store import StoreError, database_location, display_location

#: The database when neither --db nor $PEERKIT_DATABASE_URL names one.
DEFAULT_DB = "peerkit.db"
DB_HELP = (
    "a SQLite database file, or a postgresql:// URL (default: $PEERKIT_DATABASE_URL if set, "
    f"else {DEFAULT_DB}; a URL with a password is better given in the environment, where other "
    "users of the machine cannot see it)"
)


def _validate(args: argparse.Namespace) -> int:
    from .content import default_data_dir, validate_path
    from .notebooks import sync_notebooks

    target = Path(args.path or default_data_dir())
    problems, content = validate_path(target)
    lines = [str(problem) for problem in problems]
    workshops = Path(args.notebooks) if args.notebooks else target.parent / "workshops"
    if content is not None and target.is_dir() and workshops.is_dir():
        lines += [
            change
            if "data/notes.yaml" in change
            else _("{change} (run {command})").format(change=change, command="`peerkit notebooks`")
            for change in sync_notebooks(content, workshops, write=False)
        ]
    for line in lines:
        print(line)
    if lines:
        count = len(lines)
        print(
            ngettext(
                "{count} problem found in {target}", "{count} problems found in {target}", count
            ).format(count=format_number(count), target=target)
        )
        return 1
    assert content is not None
    print(_("{target}: OK: {summary}").format(target=target, summary=content.summary()))
    return 0


def _notebooks(args: argparse.Namespace) -> int:
    from .content import validate_path
    from .notebooks import sync_notebooks

    data, workshops = _folders(args)
    problems, content = validate_path(data, unwritten_ok=True)
    if content is None:
        for problem in problems:
            print(problem)
        print(
            "peerkit notebooks: " + _("{folder} has problems; fix them first").format(folder=data),
            file=sys.stderr,
        )
        return 1
    changes = sync_notebooks(content, workshops, write=not args.check)
    for change in changes:
        print(change)
    if args.check:
        print(
            ngettext(
                "{count} notebook out of date in {folder}",
                "{count} notebooks out of date in {folder}",
                len(changes),
            ).format(count=format_number(len(changes)), folder=workshops)
        )
        return 1 if changes else 0
    print(_("{folder}: notebooks up to date with {data}").format(folder=workshops, data=data))
    return 0


def _new_module(args: argparse.Namespace) -> int:
    from .newmodule import NewModuleError, new_module

    data, workshops = _folders(args)
    try:
        written = new_module(data, workshops, args.id, args.title, args.after, args.kind)
    except (NewModuleError, ContentError) as exc:
        print(f"peerkit new-module: {exc}", file=sys.stderr)
        return 1
    for path in written:
        print(_("wrote {path}").format(path=path))
    print(
        _(
            "Next: write every text marked '(to write)' (`peerkit validate` lists them), then run "
            "`peerkit validate` until it says OK."
        )
    )
    return 0


def _serve(args: argparse.Namespace) -> int:
    import asyncio

    from .config import environment
    from .service import run_service

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    env = environment()
    # JupyterHub gives the services it runs their name (single-user servers do not get one).
    hub = args.hub or bool(env.hub_service_name)
    base_url = args.base_url
    if base_url is None:
        base_url = (env.hub_service_prefix if hub else None) or "/"
    public_url = args.public_url or ((env.hub_public_url or "") if hub else "")
    try:
        asyncio.run(
            run_service(
                host=args.host,
                port=args.port,
                db=database_location(args.db, DEFAULT_DB),
                data=args.data,
                create_key=env.create_key,
                public_url=public_url,
                max_participants=args.max_participants,
                rate_limits=not args.no_rate_limits,
                base_url=base_url,
                hub=hub,
                language=args.language,
            )
        )
    except (ContentError, StoreError, OSError, ValueError) as exc:
        print(f"peerkit serve: {exc}", file=sys.stderr)
        return 1
    return 0


def _purge_solo(args: argparse.Namespace) -> int:
    from .solo import purge_solo, solo_files

    database, _room_file = solo_files()
    if not database.exists():
        print(
            _("There are no self-paced answers to delete in {folder}.").format(
                folder=database.parent
            )
        )
        return 0
    if not args.yes:
        try:
            reply = input(
                _("Delete your self-paced answers in {path} for good? [y/N] ").format(path=database)
            )
        except EOFError:
            reply = ""
        if fold(reply.strip()) not in {fold(word) for word in ("y", "yes", _("y"), _("yes"))}:
            print("peerkit purge: " + _("nothing deleted"), file=sys.stderr)
            return 1
    try:
        purge_solo()
    except OSError as exc:
        print(f"peerkit purge: {exc}", file=sys.stderr)
        return 1
    print(_("Deleted your self-paced answers ({path}).").format(path=database))
    return 0


def _purge(args: argparse.Namespace) -> int:
    from .store import POSTGRES_SCHEMES, open_store

    if args.solo:
        if args.room or args.db:
            print("peerkit purge: " + _("--solo takes no room code or --db"), file=sys.stderr)
            return 2
        return _purge_solo(args)
    if not args.room:
        print("peerkit purge: " + _("give a room code, or --solo"), file=sys.stderr)
        return 2
    db = database_location(args.db, DEFAULT_DB)
    shown = display_location(db)
    if not db.startswith(POSTGRES_SCHEMES) and not Path(db).is_file():
        print(
            "peerkit purge: " + _("there is no database file {path}").format(path=shown),
            file=sys.stderr,
        )
        return 1
    try:
        store = open_store(db)
    except (StoreError, OSError) as exc:
        print(f"peerkit purge: {exc}", file=sys.stderr)
        return 1
    try:
        room = store.room(args.room)
        count = store.participant_count(room.code)
        what = ngettext(
            "room {code} ({title}, {count} participant)",
            "room {code} ({title}, {count} participants)",
            count,
        ).format(code=room.code, title=room.title or _("untitled"), count=format_number(count))
        if not args.yes:
            try:
                reply = input(
                    _("Delete {room} and all its answers for good? Type its code: ").format(
                        room=what
                    )
                )
            except EOFError:
                reply = ""
            if reply.strip().upper() != room.code:
                print("peerkit purge: " + _("nothing deleted"), file=sys.stderr)
                return 1
        store.purge_room(room.code)
        store.compact()  # VACUUM: deleted rows must not linger in the database's free pages
    except StoreError as exc:
        print(f"peerkit purge: {exc.message}", file=sys.stderr)
        return 1
    finally:
        store.close()
    print(_("deleted {room} from {place}").format(room=what, place=shown))
    return 0


def _lab(args: argparse.Namespace) -> int:
    from .lab import run_lab

    return run_lab(
        host=args.host,
        port=args.port,
        notebooks=Path(args.notebooks).resolve(),
        new_room=args.new_room,
        title=args.title,
        jupyter_args=args.jupyter_args,
        public_url=args.public_url,
        language=args.language,
    )


def _participant_copy(args: argparse.Namespace) -> int:
    from .notebooks import write_participant_copies

    try:
        written = write_participant_copies([Path(p) for p in args.paths], Path(args.out))
    except (OSError, ValueError) as exc:
        print(f"peerkit participant-copy: {exc}", file=sys.stderr)
        return 1
    for path in written:
        print(path)
    print(
        ngettext(
            "{count} participant copy written to {folder}",
            "{count} participant copies written to {folder}",
            len(written),
        ).format(count=format_number(len(written)), folder=args.out),
        file=sys.stderr,
    )
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
    validate.add_argument(
        "--notebooks",
        default=None,
        help="the notebook folder to check against the modules (default: workshops/ beside "
        "the data folder, when there is one)",
    )
    validate.set_defaults(run=_validate)

    new = commands.add_parser(
        "new-module",
        help="add a module: its data files, ready to fill in, and its notebook",
        description="Write data/modules/NN-ID.yaml, data/scenarios/ID.yaml (three scenarios), "
        "data/scales/ID.yaml (a slider) and data/prompts/ID.yaml (a reflection), every text to "
        "write marked '(to write)', and make the module's notebook from the template. Modules "
        "after it move one place on, and every notebook is brought up to date.",
    )
    new.add_argument("id", help="the module's id: lowercase words joined by hyphens, e.g. hope")
    new.add_argument(
        "--title", required=True, help='the session\'s title, e.g. "Hope and recovery"'
    )
    new.add_argument(
        "--after", default=None, help="the module it follows (default: the last before the close)"
    )
    new.add_argument(
        "--kind",
        default="principle",
        choices=("principle", "extension"),
        help="principle (part of the day) or extension (an optional session); default principle",
    )
    _folder_arguments(new)
    new.set_defaults(run=_new_module)

    notebooks = commands.add_parser(
        "notebooks",
        help="make the workshop notebooks again from the template and data/",
        description="Bring workshops/ in line with data/modules/: one notebook per module, named "
        "and numbered by the module order, its template cells made again; the notebook's own "
        "cells are kept. With --check, only report what is out of date.",
    )
    notebooks.add_argument("--check", action="store_true", help="report, change nothing")
    _folder_arguments(notebooks)
    notebooks.set_defaults(run=_notebooks)

    serve = commands.add_parser(
        "serve",
        help="run the live poll service",
        description="Run the poll service: the JSON API and the participant page. Room creation "
        "needs the key in $PEERKIT_CREATE_KEY when it is set, and otherwise a request from this "
        "machine; as a JupyterHub service, it needs a hub user with the facilitator permission "
        "(or the key).",
    )
    serve.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
    )
    serve.add_argument(
        "--port", type=int, default=8765, help="port (default 8765; 0 picks a free one)"
    )
    serve.add_argument("--db", default=None, help=DB_HELP)
    serve.add_argument("--data", default=None, help="workshop content folder (default: data/)")
    serve.add_argument(
        "--public-url",
        default="",
        help="the address participants use, for join links, with the base URL's path "
        "(default: the request's address; as a hub service, $JUPYTERHUB_PUBLIC_URL when set)",
    )
    serve.add_argument(
        "--base-url",
        default=None,
        help="the path the service is served under, such as /services/peerkit/ (default: "
        "$JUPYTERHUB_SERVICE_PREFIX when run as a JupyterHub service, else /)",
    )
    serve.add_argument(
        "--hub",
        action="store_true",
        help="run as a JupyterHub service: hub facilitators create rooms (default when "
        "JupyterHub starts the service, which sets $JUPYTERHUB_SERVICE_NAME)",
    )
    serve.add_argument(
        "--language",
        type=_language,
        default=None,
        help="the language of a room created without one: "
        f"{', '.join(languages())} (default: the content's language)",
    )
    serve.add_argument(
        "--max-participants",
        type=_positive_int,
        default=500,
        help="the most participants one room takes (default 500); more get 409 room_full",
    )
    serve.add_argument(
        "--no-rate-limits",
        action="store_true",
        help="turn off the rate limits on joins, answers and unknown room codes "
        "(for load tests only; see docs/security.md)",
    )
    serve.set_defaults(run=_serve)

    purge = commands.add_parser(
        "purge",
        help="delete a room and all its answers, or your self-paced answers, for good",
        description="Delete a room, its questions, participants and answers, then VACUUM the "
        "database so the deleted data does not linger in the file; or, with --solo, delete the "
        "self-paced answers kept on this computer. Asks first unless --yes.",
    )
    purge.add_argument("room", nargs="?", help="the room's join code")
    purge.add_argument("--db", default=None, help=DB_HELP)
    purge.add_argument(
        "--solo",
        action="store_true",
        help="delete your self-paced answers (solo.db and solo.json in $PEERKIT_HOME, "
        "else ~/.local/share/peerkit)",
    )
    purge.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    purge.set_defaults(run=_purge)

    lab = commands.add_parser(
        "lab",
        help="start the poll service and JupyterLab on the workshop notebooks",
        description="Start a facilitator's workshop: the poll service (SQLite, kept between "
        "sessions; or the PostgreSQL database in $PEERKIT_DATABASE_URL) and JupyterLab on "
        "a working copy of workshops/ in the data folder (the shipped notebooks stay as they "
        "are). Prints the room code, the participants' join link and QR code and the presenter "
        "link for the projector; JupyterLab's own log goes to a file in the data folder.",
    )
    lab.add_argument(
        "--host",
        default="0.0.0.0",  # noqa: S104 - phones on the LAN must reach it
        help="service address (default: all, so phones on the LAN can join)",
    )
    lab.add_argument("--port", type=int, default=8765, help="service port (default 8765)")
    lab.add_argument("--notebooks", default=str(_workshops_dir()), help="notebook folder")
    lab.add_argument(
        "--new-room", action="store_true", help="start a fresh room instead of resuming"
    )
    lab.add_argument("--title", default="Peer support workshop", help="title of a new room")
    lab.add_argument(
        "--language",
        type=_language,
        default=None,
        help=f"the room's language: {', '.join(languages())} (default: the content's language; "
        "a kept room in another language is replaced by a new one)",
    )
    lab.add_argument(
        "--public-url",
        default="",
        help="the address participants use (default: this machine's LAN address and the port)",
    )
    lab.add_argument(
        "jupyter_args", nargs=argparse.REMAINDER, help="arguments after -- go to JupyterLab"
    )
    lab.set_defaults(run=_lab)

    copy = commands.add_parser(
        "participant-copy",
        help="write participant copies of notebooks, without the facilitator notes",
        description="Copy notebooks without the cells tagged 'facilitator' and without outputs.",
    )
    copy.add_argument("paths", nargs="+", help="notebooks, or folders of notebooks")
    copy.add_argument("--out", default="participant-copy", help="folder for the copies")
    copy.set_defaults(run=_participant_copy)
    return parser


def _folder_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", default=None, help="the data folder (default: data/)")
    parser.add_argument(
        "--notebooks", default=None, help="the notebook folder (default: workshops/ beside data/)"
    )


def _folders(args: argparse.Namespace) -> tuple[Path, Path]:
    """The data folder and the notebook folder a command works on."""
    from .content import default_data_dir

    data = Path(args.data or default_data_dir())
    return data, Path(args.notebooks) if args.notebooks else data.parent / "workshops"


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, not {text!r}")
    return value


def _language(text: str) -> str:
    try:
        return check_language(text)
    except UnknownLanguageError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _workshops_dir() -> Path:
    here = Path(__file__).resolve().parent.parent / "workshops"
    return here if here.is_dir() else Path("workshops")


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # Messages in the language asked for (lab, serve) or set for this machine
    # ($PEERKIT_LANGUAGE); `peerkit lab` switches to its room's language once it has one.
    from .config import environment

    try:
        i18n.use(getattr(args, "language", None) or environment().language)
    except UnknownLanguageError as exc:
        print(f"peerkit: $PEERKIT_LANGUAGE: {exc}", file=sys.stderr)
        return 2
    if getattr(args, "jupyter_args", None) and args.jupyter_args[0] == "--":
        args.jupyter_args = args.jupyter_args[1:]
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
