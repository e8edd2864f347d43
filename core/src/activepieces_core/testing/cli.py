"""``activepieces-emulator``: serve the emulator in the foreground until Ctrl-C."""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
from collections.abc import Mapping, Sequence
from types import FrameType
from typing import Any

from .plan_limits import TEAM_PROJECTS_LIMITS, team_projects_limit


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="activepieces-emulator",
        description="A local Activepieces Projects API (/api/v1/projects) for tests and demos.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080, help="0 picks a free port")
    parser.add_argument("--api-key", help="API key of the default platform (default: generated)")
    parser.add_argument(
        "--fixtures", metavar="FILE", help="JSON/YAML fixture file (platforms, projects)"
    )
    parser.add_argument(
        "--team-projects-limit",
        type=_team_projects_limit,
        default=None,
        metavar="N",
        help="team projects the default platform's plan allows (billedTeamProjectsLimit): "
        f"a number, or {'/'.join(TEAM_PROJECTS_LIMITS)} (0/1/no limit); default: no limit",
    )
    parser.add_argument(
        "--piece-sets",
        action="store_true",
        help="turn on managePiecesEnabled for the default platform (piece sets govern pieces)",
    )
    parser.add_argument(
        "--environments",
        action="store_true",
        help="turn on environmentsEnabled for the default platform (POST /projects/:id/replace)",
    )
    parser.add_argument(
        "--global-connections",
        action="store_true",
        help="turn on globalConnectionsEnabled for the default platform",
    )
    parser.add_argument(
        "--users-limit",
        type=int,
        metavar="N",
        help="seat cap of the default platform: invitations past it are QUOTA_EXCEEDED",
    )
    parser.add_argument(
        "--no-project-roles",
        action="store_true",
        help="turn projectRolesEnabled off (project invitations and members: FEATURE_DISABLED)",
    )
    parser.add_argument(
        "--user",
        action="append",
        default=[],
        metavar="EMAIL",
        help="an existing user of the default platform (repeatable)",
    )
    parser.add_argument(
        "--random-seed", type=int, default=None, help="seed ids and faults (default: random)"
    )
    parser.add_argument(
        "--duplicate-external-id-status",
        type=int,
        choices=(500, 409),
        default=500,
        help="status of a create with a taken externalId (500 like upstream)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.api_key is not None and not args.api_key.startswith("sk-"):
        print("error: --api-key must start with 'sk-'", file=sys.stderr)
        return 2
    from .contents import with_content_options
    from .fixtures import load_fixtures
    from .people_fixtures import with_options
    from .server import Emulator, bind_socket, collect_less_often, make_server

    fixtures: Mapping[str, Any] | None = load_fixtures(args.fixtures) if args.fixtures else None
    if args.piece_sets:
        fixtures = _with_piece_sets(fixtures)
    fixtures = with_options(
        fixtures,
        users_limit=args.users_limit,
        project_roles_enabled=not args.no_project_roles,
        users=args.user,
    )
    fixtures = with_content_options(
        fixtures, environments=args.environments, global_connections=args.global_connections
    )
    emulator = Emulator(
        args.random_seed,
        team_projects_limit=args.team_projects_limit,
        duplicate_external_id_status=args.duplicate_external_id_status,
        api_key=args.api_key,
        fixtures=fixtures,
    )
    sock = bind_socket(args.host, args.port)
    port = sock.getsockname()[1]
    host = f"[{args.host}]" if ":" in args.host else args.host
    platform = emulator.state.platform()
    print(f"Activepieces emulator: http://{host}:{port}/api/v1", flush=True)
    print(f"API key: {platform.api_key}", flush=True)
    print(f"Platform: {platform.id}", flush=True)
    server = make_server(emulator.app)
    collect_less_often()
    # uvicorn shuts down gracefully on SIGINT/SIGTERM, then re-raises the signal to the
    # previous handlers: make those a clean exit.
    signal.signal(signal.SIGTERM, _exit_cleanly)
    signal.signal(signal.SIGINT, _exit_cleanly)
    with contextlib.suppress(SystemExit):
        server.run(sockets=[sock])
    return 0


def _with_piece_sets(fixtures: str | Mapping[str, Any] | None) -> dict[str, Any]:
    """The fixtures (a file, a mapping or none) with ``manage_pieces_enabled`` on their first
    platform; kept in the fixtures so that it survives ``reset``."""
    from .fixtures import load_fixtures

    data = load_fixtures(fixtures) if isinstance(fixtures, str) else dict(fixtures or {})
    platforms = [dict(p) for p in data.get("platforms") or [{}]]
    platforms[0]["manage_pieces_enabled"] = True
    return {**data, "platforms": platforms}


def _team_projects_limit(value: str) -> int | None:
    try:
        return team_projects_limit(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _exit_cleanly(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)


if __name__ == "__main__":
    raise SystemExit(main())
