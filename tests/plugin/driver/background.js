// Test-only driver: compose and send one message (or several, scenario.messages) as
// scenario.json says, or reply to an imported message (scenario.reply), and print the result.
const MARK = "BCCGUARD-DRIVER";
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function makeList({ name, members }) {
  const books = browser.addressBooks;
  const bookId = await books.create({ name: "Driver book" });
  const listId = await books.mailingLists.create(bookId, { name });
  for (const email of members) {
    const card = `BEGIN:VCARD\r\nVERSION:4.0\r\nFN:${email}\r\nEMAIL;PREF=1:${email}\r\nEND:VCARD\r\n`;
    const contactId = await books.contacts.create(bookId, card);
    await books.mailingLists.addMember(listId, contactId);
  }
  return listId;
}

// The popup's tab titles once its page has filled them in (it names the question).
async function popupTitles(windowId) {
  let titles = [];
  for (let i = 0; i < 25; i += 1) {
    await sleep(200);
    titles = (await browser.tabs.query({ windowId })).map((t) => t.title ?? "");
    if (titles.some((t) => t.startsWith("BccGuard:"))) break;
  }
  return titles;
}

// Like a user closing the plugin's question: find its popup window and close it.
async function closePopup(waitMs = 20000) {
  const end = Date.now() + waitMs;
  while (Date.now() < end) {
    const popups = await browser.windows.getAll({ windowTypes: ["popup"], populate: true });
    const found = popups.find((w) => w.tabs?.some((t) => /decision\.html/u.test(t.url ?? "")));
    if (found) {
      const titles = await popupTitles(found.id);
      await browser.windows.remove(found.id);
      return { closed: found.tabs.map((t) => t.url.replace(/\?.*$/u, "")), titles };
    }
    await sleep(200);
  }
  return { closed: null };
}

// Answer onBeforeSend as the plugin's gate does after "Send as is": the proof header
// in details.customHeaders (the plugin's own module computes it).
async function addProof({ key, addresses }) {
  const { makeProof, withProofHeader } = await import("./decision_proof.js");
  browser.compose.onBeforeSend.addListener(async (tab, details) => {
    const value = await makeProof(key, addresses, Date.now());
    return { cancel: false, details: { customHeaders: withProofHeader(details.customHeaders, value) } };
  });
}

// A message in a new Local Folders folder, as if it had been received.
async function importMessage(eml) {
  const accounts = await browser.accounts.list(false);
  const local = accounts.find((a) => a.type === "none") ?? accounts[0];
  const folder = await browser.folders.create(local.rootFolder.id, "Received");
  const file = new File([eml], "original.eml", { type: "message/rfc822" });
  return browser.messages.import(file, folder.id);
}

// Reply (scenario.reply: "replyToAll", "replyToSender"...) to an imported message, and
// report the compose window and whether the plugin's question popup appeared.
async function reply(scenario) {
  await sleep(scenario.startDelayMs ?? 1500);
  const original = await importMessage(scenario.eml);
  const tab = await browser.compose.beginReply(original.id, scenario.reply);
  const details = await browser.compose.getComposeDetails(tab.id);
  const popup = await closePopup(scenario.popupWaitMs ?? 20000);
  console.log(
    `${MARK} ${JSON.stringify({
      outcome: "replied",
      original: { recipients: original.recipients, ccList: original.ccList },
      type: details.type,
      relatedMessageId: details.relatedMessageId === original.id,
      to: details.to,
      cc: details.cc,
      popup,
    })}`,
  );
}

// Compose and send one message; its outcome and when the send began and settled.
async function sendOne(message, sendTimeoutMs) {
  const tab = await browser.compose.beginNew({
    to: message.to,
    cc: message.cc ?? [],
    subject: message.subject,
    plainTextBody: "Hello from the BccGuard end-to-end test.\n",
    isPlainText: true,
  });
  const before = await browser.compose.getComposeDetails(tab.id);
  await sleep(message.composeDelayMs ?? 0); // as if someone were still writing
  const sentAt = Date.now();
  const send = browser.compose
    .sendMessage(tab.id, { mode: "sendNow" })
    .then((value) => ({ outcome: "sent", value }))
    .catch((error) => ({ outcome: "refused", error: String(error) }));
  const late = sleep(sendTimeoutMs ?? 30000).then(() => ({ outcome: "timeout" }));
  const result = await Promise.race([send, late]);
  return { ...result, to: before.to, sentAt, settledAt: Date.now() };
}

// Several messages one after the other (scenario.messages), scenario.pauseMs apart.
async function sendSeveral(scenario) {
  const results = [];
  for (const [index, message] of scenario.messages.entries()) {
    if (index > 0) await sleep(scenario.pauseMs ?? 0);
    const result = await sendOne(message, scenario.sendTimeoutMs);
    results.push(result);
    if (result.outcome !== "sent") break;
  }
  const outcome = results.every((r) => r.outcome === "sent") ? "sent-all" : "failed";
  console.log(`${MARK} ${JSON.stringify({ outcome, results })}`);
}

async function run() {
  const scenario = await (await fetch(browser.runtime.getURL("scenario.json"))).json();
  if (scenario.keepAwake) {
    // An API call resets the event page's idle timer: the driver's own background
    // stays up through long pauses even with a short extensions.background.idle.timeout.
    setInterval(() => browser.runtime.getPlatformInfo(), 250);
  }
  if (scenario.reply) {
    await reply(scenario);
    return;
  }
  if (scenario.proof) {
    await addProof(scenario.proof);
  }
  await sleep(scenario.startDelayMs ?? 1500);
  if (scenario.messages) {
    await sendSeveral(scenario);
    return;
  }
  const to = [...scenario.to];
  if (scenario.list) {
    to.push({ nodeId: await makeList(scenario.list), type: "mailingList" });
  }
  const popup = scenario.closePopup ? closePopup() : Promise.resolve(null);
  const { sentAt, settledAt, ...result } = await sendOne({ ...scenario, to }, scenario.sendTimeoutMs);
  console.log(`${MARK} ${JSON.stringify({ ...result, popup: await popup })}`);
}

run().catch((error) => console.log(`${MARK} ${JSON.stringify({ outcome: "error", error: String(error) })}`));
