"""The Postfix milter: the same check inside an organisation's mail server.

Postfix asks ``bccguard milter`` about each authenticated submission before it
queues it; the milter converts, holds (Postfix's hold queue), rejects or passes
by ``Settings.policy_for(sender)``. Postfix queues, retries and scales; BccGuard
only decides. Nothing here imports Qt.
"""
