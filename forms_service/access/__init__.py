"""Access: roles and actors, API tokens, people who sign in, and the networks they may come from."""

from .roles import LOCAL_OPERATOR, Actor, Role

__all__ = ["LOCAL_OPERATOR", "Actor", "Role"]
