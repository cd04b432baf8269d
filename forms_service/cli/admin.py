"""Administration: people who sign in, API tokens, the effective settings."""

from __future__ import annotations

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
def users_create(username: str, agency: str, role: str, password: str) -> None:
    """Create a user of the web pages (the password is stored as an scrypt hash)."""
    from ..access.users import create_user

    with catalog_only() as catalog:
        create_user(catalog, username=username, password=password, agency=agency, role=role)
    click.echo(f"user {username} ({role}, {agency}) created")


@click.group()
def tokens() -> None:
    """API tokens."""


@tokens.command("create")
@click.option("--agency", required=True, help="the 機關代碼 of the agency the token acts for (e.g. 379000000A)")
@click.option("--role", default=str(Role.STAFF), show_default=True, type=ROLE_CHOICE)
@click.option("--label", default="", help="a note to recognise the token by")
@click.option("--allow", multiple=True, metavar="CIDR",
              help="only from this network (repeatable); default: the role's FORMS_ROLE_NETWORKS, or anywhere")
def tokens_create(agency: str, role: str, label: str, allow: tuple[str, ...]) -> None:
    """Create a token and print it (it is stored hashed and cannot be shown again)."""
    from ..access.tokens import create_token

    with catalog_only() as catalog:
        click.echo(create_token(catalog, agency=agency, role=role, label=label, allow=allow))


@click.command("settings")
def show_settings() -> None:
    """Show the effective settings (secrets masked) and the variable that sets each."""
    for env, value, help_text in load_settings().describe():
        click.echo(f"{env:36} {value!s:28} {help_text}")
