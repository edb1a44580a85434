"""The Qt-free, network-free heart of BccGuard: who sees whom, and what to do about it.

Read in this order: ``header_block`` (raw bytes to fields), ``address_list`` (a
recipient header to addresses, leniently), ``message`` (a message's visible and hidden
recipients), ``policy`` and ``rules`` (what counts as exposure), ``verdict`` (pass or
hold, and why), ``bcc_conversion`` (the fix).
"""
