"""Ad-platform access tokens encrypted at rest (Fernet: AES-128-CBC + HMAC-SHA256, key from settings)."""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken

from domain.failures import Failure


class TokenUnreadable(Failure):
    """A stored token cannot be decrypted with the configured key (key rotated or lost): reconnect the account."""

    kind = "TokenUnreadable"


class TokenBox:
    """Seals and opens tokens with one key; the plaintext exists only in memory, for the call that needs it."""

    def __init__(self, key: str):
        try:
            self._fernet = Fernet(key.encode())
        except ValueError:
            raise ValueError("META_TOKEN_KEY must be a Fernet key (urlsafe base64 of 32 bytes)") from None

    def seal(self, token: str) -> str:
        return self._fernet.encrypt(token.encode()).decode()

    def open(self, ciphertext: str) -> str:
        try:
            return self._fernet.decrypt(ciphertext.encode()).decode()
        except InvalidToken:
            raise TokenUnreadable("the stored access token cannot be decrypted with META_TOKEN_KEY") from None
