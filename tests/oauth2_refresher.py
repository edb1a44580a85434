"""One racer of tests/adapters/test_oauth2_tokens.py: waits for a "go" file, then
asks for the account's access token and prints it.

Usage: python tests/oauth2_refresher.py HOME ISSUER GO_FILE
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bccguard.adapters.oauth2_client import oauth_client
from bccguard.adapters.oauth2_tokens import TokenProvider
from bccguard.adapters.secrets import FileSecretStore
from bccguard.core.settings import settings_from_mapping
from tests.oauth2_server import AuthServer


def main() -> None:
    home, issuer, go = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
    settings = settings_from_mapping(
        {"oauth": {"google": AuthServer(issuer).oauth_table()}}
    )
    provider = TokenProvider(
        "gmail",
        oauth_client(settings, "google"),
        FileSecretStore(home / "secrets.json"),
        home,
    )
    while not go.exists():
        time.sleep(0.005)
    print(provider.access_token())


if __name__ == "__main__":
    main()
