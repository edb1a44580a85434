// BccGuard for Thunderbird: wiring only; the logic lives in modules/.
import { ApologyAction } from "./modules/apology.js";
import { DecisionBroker } from "./modules/decisions.js";
import { SendGate } from "./modules/gate.js";
import { NativeHost } from "./modules/native.js";
import { ReplyAllGuard } from "./modules/reply_all.js";

const host = new NativeHost(browser);
const broker = new DecisionBroker(browser);
const gate = new SendGate({ browser, host, broker });
const replyAll = new ReplyAllGuard({ browser, host, broker });
const apology = new ApologyAction({ browser, host });

browser.compose.onBeforeSend.addListener((tab, details) => gate.onBeforeSend(tab, details));
browser.runtime.onMessage.addListener((message) => broker.handleMessage(message));
browser.windows.onRemoved.addListener((windowId) => broker.handleWindowRemoved(windowId));
browser.tabs.onCreated.addListener((tab) => {
  replyAll.onTabCreated(tab);
});
browser.messageDisplayAction.onClicked.addListener((tab) => {
  apology.onClicked(tab).catch((error) => console.error("BccGuard: apology failed", error));
});
