// The compose toolbar button: the manual check, and a button that converts in place.
import { convertDetails, senderAddress } from "../modules/conversion.js";
import { checkCompose } from "../modules/gate.js";
import { NativeHost } from "../modules/native.js";
import { domainSummary, localisePage } from "../modules/page_text.js";

async function show() {
  localisePage(browser, document);
  const [tab] = await browser.tabs.query({ active: true, currentWindow: true });
  const details = await browser.compose.getComposeDetails(tab.id);
  const { verdict } = await checkCompose(browser, new NativeHost(browser), details);
  const name = verdict.verdict === "hold" ? "checkHold" : "checkPass";
  document.getElementById("detail").textContent = browser.i18n.getMessage(name, [
    String(verdict.exposed_count),
    String(verdict.visible_count),
    String(verdict.threshold),
  ]);
  document.getElementById("domains").textContent = domainSummary(verdict.domains);
  const button = document.getElementById("convert");
  button.disabled = verdict.visible_count === 0;
  button.addEventListener("click", async () => {
    const sender = await senderAddress(browser, details);
    await browser.compose.setComposeDetails(tab.id, convertDetails(details, sender));
    window.close();
  });
}

show();
