"""What every BccGuard wizard shares: its buttons named in the user's language."""

from __future__ import annotations

from PySide6.QtWidgets import QWizard

from bccguard.ui.i18n import tr


def name_buttons(wizard: QWizard) -> None:
    """Back, Next, Finish and Cancel in the UI language (Qt's own are English)."""
    for which, text in (
        (QWizard.WizardButton.BackButton, tr("< Back")),
        (QWizard.WizardButton.NextButton, tr("Next >")),
        (QWizard.WizardButton.FinishButton, tr("Finish")),
        (QWizard.WizardButton.CancelButton, tr("Cancel")),
    ):
        wizard.setButtonText(which, text)
