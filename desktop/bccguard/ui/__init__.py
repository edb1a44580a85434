"""The desktop app: the only package that imports Qt.

Importing it makes None, True and False immortal on Pythons before 3.12 (see
:mod:`bccguard.ui.immortal_singletons`): every user of these Qt modules, the tray
app and the tests alike, would otherwise run into PySide6's surplus releases.
"""

from bccguard.ui.immortal_singletons import make_singletons_immortal

make_singletons_immortal()
