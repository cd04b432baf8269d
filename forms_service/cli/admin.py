"""Administration: people who sign in, API tokens, the effective settings."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import click

from ..access import Role
from .base import catalog_only, load_settings

ROLE_CHOICE = click.Choice([str(role) for role in Role])


@click.group()
def users() -> None:
    """People who sign in to the web pages."""


@users.command("create")
@click.option("--username", required=True)
@click.option("--agency", required=True, help="the 機關代碼 of the agency the person works for (e.g. 379000000A)")
@click.option("--role", default=str(Role.CLERK), show_default=True, type=ROLE_CHOICE)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="at least 12 characters (asked for when not given)")
@click.option("--name", "full_name", default="", help="the person's name, as registers print it (e.g. 陳美玲)")
@click.option("--email", default="", help="where reminders of what is due go")
@click.option("--account", default="", help="the account in the agency's business systems (query events' "
                                            "user.account); default: the user name")
def users_create(username: str, agency: str, role: str, password: str, full_name: str, email: str,
                 account: str) -> None:
    """Create a user of the web pages (the password is stored as an scrypt hash)."""
    from ..access.users import create_user

    with catalog_only() as catalog:
        create_user(catalog, username=username, password=password, agency=agency, role=role, full_name=full_name,
                    email=email, system_account=account)
    click.echo(f"user {username} ({role}, {agency}) created")


@users.command("set")
@click.argument("username")
@click.option("--name", "full_name", default="", help="the person's name, as registers print it")
@click.option("--email", default="", help="where reminders of what is due go")
@click.option("--account", default="", help="the account in the agency's business systems")
def users_set(username: str, full_name: str, email: str, account: str) -> None:
    """Set USERNAME's name, e-mail and business-system account (each replaced; empty clears it)."""
    from ..access.users import set_details

    with catalog_only() as catalog:
        set_details(catalog, username, full_name=full_name, email=email, system_account=account)
    click.echo(f"user {username}: name {full_name or '-'}, e-mail {email or '-'}, account {account or username}")


@users.command("list")
def users_list() -> None:
    """List the users: agency, role, and whether locked."""
    from ..access.users import is_locked

    with catalog_only() as catalog:
        people = catalog.users()
    now = datetime.now(timezone.utc)
    for user in people:
        click.echo(f"{user.username:20} {user.agency:12} {user.role:9} {user.full_name:10} {user.email:28} "
                   f"{'LOCKED' if is_locked(user, now) else ''}".rstrip())
    click.echo(f"{len(people)} user(s)")


@users.command("password")
@click.argument("username")
@click.option("--password", prompt="new password", hide_input=True, confirmation_prompt=True,
              help="at least 12 characters (asked for when not given)")
def users_password(username: str, password: str) -> None:
    """Give USERNAME a new password (and unlock it); every session of theirs ends."""
    from ..access.users import set_password

    with catalog_only() as catalog:
        set_password(catalog, username, password)
    click.echo(f"user {username}: new password set; signed out everywhere")


@users.command("role")
@click.argument("username")
@click.option("--role", required=True, type=ROLE_CHOICE)
def users_role(username: str, role: str) -> None:
    """Give USERNAME another role; every session of theirs ends."""
    from ..access.users import set_role

    with catalog_only() as catalog:
        set_role(catalog, username, role)
    click.echo(f"user {username}: role {role}; signed out everywhere")


@users.command("lock")
@click.argument("username")
def users_lock(username: str) -> None:
    """Stop USERNAME signing in (a leaver, a suspicion) until unlocked; every session of theirs ends."""
    from ..access.users import lock

    with catalog_only() as catalog:
        lock(catalog, username, now=datetime.now(timezone.utc))
    click.echo(f"user {username}: locked; signed out everywhere")


@users.command("unlock")
@click.argument("username")
def users_unlock(username: str) -> None:
    """Unlock USERNAME after many wrong passwords."""
    from ..access.users import unlock

    with catalog_only() as catalog:
        unlock(catalog, username)
    click.echo(f"user {username}: unlocked")


@click.group()
def tokens() -> None:
    """API tokens."""


@tokens.command("create")
@click.option("--agency", default="", help="the 機關代碼 of the agency the token acts for (e.g. 379000000A)")
@click.option("--role", default=str(Role.STAFF), show_default=True, type=ROLE_CHOICE)
@click.option("--user", "username", default="", help="a person's own token: it acts as USER (his agency and role)")
@click.option("--label", default="", help="a note to recognise the token by")
@click.option("--allow", multiple=True, metavar="CIDR",
              help="only from this network (repeatable); default: the role's FORMS_ROLE_NETWORKS, or anywhere")
@click.option("--days", type=click.IntRange(1, 3650), help="days the token works (default FORMS_TOKEN_DAYS)")
@click.option("--connection", "connection_id", default="",
              help="with --role system: the connection (介接案) whose system's query events it posts; it must be "
                   "agreed, and --agency its 資料使用單位")
@click.option("--system", default="", help="with --role system: the connection's system name (checked, optional)")
def tokens_create(agency: str, role: str, username: str, label: str, allow: tuple[str, ...], days: int | None,
                  connection_id: str, system: str) -> None:
    """Create a token and print it (it is stored hashed and cannot be shown again).  Give --agency
    and --role, or --user for a person's own token; a business system's token (--role system) is
    bound to its connection (--connection)."""
    from ..access.tokens import create_token
    from ..connections.tokens import create_system_token

    settings = load_settings()
    expires_at = datetime.now(timezone.utc) + timedelta(days=days or settings.token_days)
    with catalog_only(settings) as catalog:
        if not agency and not username:
            raise click.UsageError("give --agency (with --role), or --user")
        if role == str(Role.SYSTEM) and not username:
            token = create_system_token(catalog, agency=agency, connection_id=connection_id, system=system,
                                        label=label, allow=allow, expires_at=expires_at)
        else:
            token = create_token(catalog, agency=agency, role=role, label=label, allow=allow, expires_at=expires_at,
                                 system=system, username=username, connection_id=connection_id)
        click.echo(token)
    click.echo(f"valid until {expires_at:%Y-%m-%d %H:%M} UTC", err=True)


@tokens.command("list")
def tokens_list() -> None:
    """List the tokens (never the tokens themselves): id, prefix, agency, role, label, state."""
    with catalog_only() as catalog:
        found = catalog.tokens()
    now = datetime.now(timezone.utc)
    for token in found:
        if token.revoked_at is not None:
            state = f"revoked {token.revoked_at:%Y-%m-%d}"
        elif token.expires_at is not None and token.expires_at <= now:
            state = f"expired {token.expires_at:%Y-%m-%d}"
        else:
            state = f"valid until {token.expires_at:%Y-%m-%d}" if token.expires_at else "valid"
        owner = f"user:{token.username}" if token.username else token.role
        click.echo(f"{token.id:5} {token.prefix:12} {token.agency:12} {owner:9} {state:24} {token.label}")
    click.echo(f"{len(found)} token(s)")


@tokens.command("revoke")
@click.argument("token")
def tokens_revoke(token: str) -> None:
    """Revoke TOKEN (its id or prefix, as `tokens list` shows them): it stops working at once."""
    from ..access.tokens import revoke

    with catalog_only() as catalog:
        revoked = revoke(catalog, token)
    click.echo(f"token {revoked.id} ({revoked.prefix}…, {revoked.agency}, {revoked.role}) revoked")


@click.command("settings")
def show_settings() -> None:
    """Show the effective settings (secrets masked) and the variable that sets each."""
    for env, value, help_text in load_settings().describe():
        click.echo(f"{env:36} {value!s:28} {help_text}")
