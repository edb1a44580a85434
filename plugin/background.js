// BccGuard for Thunderbird: wiring only; the logic lives in modules/.
import { ApologyAction } from "./modules/apology.js";
import { DecisionBroker } from "./modules/decisions.js";
import { SendGate } from "./modules/gate.js";
import { HOST_IDLE_MS, NativeHost } from "./modules/native.js";
import { ReplyAllGuard } from "./modules/reply_all.js";
import { SendDelay } from "./modules/send_delay.js";

// One port to the desktop app for all messages, closed when idle (see native.js).
const host = new NativeHost(browser, { idleMs: HOST_IDLE_MS });
const broker = new DecisionBroker(browser);
const gate = new SendGate({ browser, host, broker });
const replyAll = new ReplyAllGuard({ browser, host, broker });
const apology = new ApologyAction({ browser, host });
const delay = new SendDelay({ browser, host }); // Undo send, after the gate


browser.compose.onBeforeSend.addListener(async (tab, details) =>
  delay.apply(tab, details, await gate.onBeforeSend(tab, details)),
);
browser.runtime.onMessage.addListener(
  (message) => broker.handleMessage(message) ?? delay.handleMessage(message),
);
browser.windows.onRemoved.addListener((windowId) => {
  broker.handleWindowRemoved(windowId);
  delay.handleWindowRemoved(windowId);
});
browser.tabs.onCreated.addListener((tab) => {
  if (tab.type === "messageCompose") {
    host.warmUp(); // the host starts while the message is written, not at Send
  }
  replyAll.onTabCreated(tab);
});
browser.messageDisplayAction.onClicked.addListener((tab) => {
  apology.onClicked(tab).catch((error) => console.error("BccGuard: apology failed", error));
});
