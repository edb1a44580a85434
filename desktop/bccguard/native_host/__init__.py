"""Thunderbird's native messaging host: framing and requests; fast, and free of Qt."""

from __future__ import annotations

HOST_NAME = "org.bccguard.native_host"
EXTENSION_ID = "bccguard@bccguard.org"
