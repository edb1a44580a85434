// Test-only driver: compose and send one message as scenario.json says, print the result.
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

// Like a user closing the plugin's question: find its popup window and close it.
async function closePopup() {
  for (let i = 0; i < 100; i += 1) {
    const popups = await browser.windows.getAll({ windowTypes: ["popup"], populate: true });
    const found = popups.find((w) => w.tabs?.some((t) => /decision\.html/u.test(t.url ?? "")));
    if (found) {
      await sleep(500);
      await browser.windows.remove(found.id);
      return { closed: found.tabs.map((t) => t.url.replace(/\?.*$/u, "")) };
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

async function run() {
  const scenario = await (await fetch(browser.runtime.getURL("scenario.json"))).json();
  if (scenario.proof) {
    await addProof(scenario.proof);
  }
  await sleep(scenario.startDelayMs ?? 1500);
  const to = [...scenario.to];
  if (scenario.list) {
    to.push({ nodeId: await makeList(scenario.list), type: "mailingList" });
  }
  const tab = await browser.compose.beginNew({
    to,
    cc: scenario.cc ?? [],
    subject: scenario.subject,
    plainTextBody: "Hello from the BccGuard end-to-end test.\n",
    isPlainText: true,
  });
  const before = await browser.compose.getComposeDetails(tab.id);
  const send = browser.compose
    .sendMessage(tab.id, { mode: "sendNow" })
    .then((value) => ({ outcome: "sent", value }))
    .catch((error) => ({ outcome: "refused", error: String(error) }));
  const late = sleep(scenario.sendTimeoutMs ?? 30000).then(() => ({ outcome: "timeout" }));
  const popup = scenario.closePopup ? closePopup() : Promise.resolve(null);
  const result = await Promise.race([send, late]);
  console.log(`${MARK} ${JSON.stringify({ ...result, to: before.to, popup: await popup })}`);
}

run().catch((error) => console.log(`${MARK} ${JSON.stringify({ outcome: "error", error: String(error) })}`));
