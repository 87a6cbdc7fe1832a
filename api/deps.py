"""Dependency aliases: settings, a session per request, Temporal, S3, the authenticated user.

Every dependency is `async def`: FastAPI runs a plain `def` one in a worker thread, a hand-off that costs
more than anything these do (a JWT check is ~0.1 ms of CPU)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Annotated, Any

import asyncpg
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client

from api.auth import User, decode_token
from api.errors import Forbidden, Unauthorized
from settings import Settings

if TYPE_CHECKING:
    from types_aiobotocore_s3 import S3Client


async def get_app_settings(request: Request) -> Settings:
    return request.app.state.settings


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One session per request: committed when the handler succeeds, rolled back when it raises."""
    async with request.app.state.sessionmaker() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


async def get_read_pool(request: Request) -> asyncpg.Pool:
    """asyncpg's own pool, for the hottest reads (video access): one query, no ORM or transaction around it."""
    return request.app.state.read_pool


async def get_temporal(request: Request) -> Client:
    return request.app.state.temporal


async def get_s3(request: Request) -> Any:
    return request.app.state.s3


_bearer = HTTPBearer(auto_error=False, description="JWT signed with the service's key")


async def get_current_user(
    settings: Annotated[Settings, Depends(get_app_settings)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> User:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized()
    return decode_token(credentials.credentials, settings)


async def get_admin_user(user: Annotated[User, Depends(get_current_user)]) -> User:
    if not user.is_admin:
        raise Forbidden("admin role required")
    return user


SettingsDep = Annotated[Settings, Depends(get_app_settings)]
SessionDep = Annotated[AsyncSession, Depends(get_session)]
ReadPool = Annotated[asyncpg.Pool, Depends(get_read_pool)]
TemporalDep = Annotated[Client, Depends(get_temporal)]
S3Dep = Annotated["S3Client", Depends(get_s3)]
CurrentUser = Annotated[User, Depends(get_current_user)]
AdminUser = Annotated[User, Depends(get_admin_user)]
