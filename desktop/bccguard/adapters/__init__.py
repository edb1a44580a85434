"""The world outside the core: SMTP, IMAP, keyring, files."""
