// Compose recipients: contacts and mailing lists expanded, duplicates removed.
import assert from "node:assert/strict";
import { test } from "node:test";

import { convertDetails } from "../../plugin/modules/conversion.js";
import { buildPolicy } from "../../plugin/modules/policy.js";
import { contactEmail, listPill, RecipientReader } from "../../plugin/modules/recipients.js";
import { check } from "../../plugin/modules/verdict.js";
import { makeBrowser, vCard } from "./browser_stub.mjs";

const member = (id, email) => ({ id, type: "contact", vCard: vCard(email) });

const books = {
  lists: [
    { id: "L1", name: "Parents", description: "Class 3B parents" },
    { id: "L2", name: "Teachers", description: "" },
    { id: "L3", name: "Loop", description: "" },
  ],
  members: {
    L1: [member("c1", "ann@a.example"), member("c2", "bob@b.example"), member("c9", "Teachers")],
    L2: [member("c3", "carl@c.example"), { id: "c4", properties: { PrimaryEmail: "dora@d.example" } }],
    L3: [member("c5", "eve@e.example"), member("c6", "Loop")],
  },
};

async function read(details, setup = {}) {
  return new RecipientReader(makeBrowser({ books, ...setup })).read(details);
}

const addrs = (list) => list.map((a) => a.addr).sort();

test("a list pill 'Name <Name>' is expanded, nested lists too", async () => {
  const r = await read({ to: ["Parents <Parents>"] });
  assert.deepEqual(addrs(r.visible), [
    "ann@a.example",
    "bob@b.example",
    "carl@c.example",
    "dora@d.example",
  ]);
  assert.deepEqual(r.problems, []);
});

test("a list pill 'Name <Description>' and a quoted name are found", async () => {
  assert.equal((await read({ cc: ["Parents <Class 3B parents>"] })).visible.length, 4);
  assert.equal((await read({ cc: ['"Teachers" <Teachers>'] })).visible.length, 2);
});

test("list objects and contact objects (MV3 nodeId, MV2 id) are read", async () => {
  const contacts = { k1: { id: "k1", vCard: vCard("zed@z.example") } };
  const r = await read(
    { to: [{ nodeId: "L2", type: "mailingList" }, { id: "k1", type: "contact" }] },
    { contacts },
  );
  assert.deepEqual(addrs(r.visible), ["carl@c.example", "dora@d.example", "zed@z.example"]);
});

test("a list that contains itself stops", async () => {
  assert.deepEqual(addrs((await read({ to: ["Loop <Loop>"] })).visible), ["eve@e.example"]);
});

test("an unknown list pill counts as a doubtful recipient (fail closed)", async () => {
  const r = await read({ to: ["Nobody <Nobody>"] });
  assert.equal(r.visible.length, 1);
  assert.ok(r.problems.some((p) => p.doubtful));
  assert.equal(check(r, buildPolicy()).verdict, "hold");
});

test("duplicates: one person however the address is written, To/Cc/Bcc merged", async () => {
  const r = await read({
    to: ["Ann <ann@A.Example>", "ann@a.example"],
    cc: ["ANN@a.example", "Parents <Parents>"],
    bcc: ["bob@B.EXAMPLE", "BOB@b.example", "new@n.example"],
  });
  assert.deepEqual(addrs(r.visible), [
    "ann@a.example",
    "bob@b.example",
    "carl@c.example",
    "dora@d.example",
  ]);
  assert.deepEqual(addrs(r.hidden), ["new@n.example"]);
});

test("the sender is never exposed; trusted domains (with subdomains) are not", async () => {
  const r = await read({
    from: "Me <me@corp.example>",
    to: ["me@CORP.example", "a@corp.example", "b@eu.corp.example", "c@gmail.com"],
  });
  const verdict = check(r, buildPolicy({ threshold: 0, trustedDomains: ["corp.example"] }));
  assert.deepEqual(verdict.exposed, ["c@gmail.com"]);
});

test("a public mail domain is never trusted", () => {
  const policy = buildPolicy({ trustedDomains: ["gmail.com", "mail.libero.it", "@Corp.Example."] });
  assert.deepEqual([...policy.trustedDomains], ["corp.example"]);
  assert.deepEqual(policy.rejected, ["gmail.com", "mail.libero.it"]);
});

test("policy values are checked: bad threshold and action fall back to defaults", () => {
  const policy = buildPolicy({ threshold: "-3", action: "explode" });
  assert.equal(policy.threshold, 10);
  assert.equal(policy.action, "ask");
  assert.equal(buildPolicy({ threshold: "4" }).threshold, 4);
});

test("contactEmail reads the preferred vCard address, else the first", () => {
  const card = "BEGIN:VCARD\r\nEMAIL:first@x.example\r\nitem1.EMAIL;PREF=1:pref@x.example\r\nEND:VCARD";
  assert.equal(contactEmail({ id: "1", vCard: card }), "pref@x.example");
  assert.equal(contactEmail({ id: "1", vCard: "BEGIN:VCARD\nEMAIL:only@x.example\nEND:VCARD" }), "only@x.example");
});

test("listPill: only for text without an address", () => {
  assert.equal(listPill("Ann <ann@x.example>"), null);
  assert.deepEqual(listPill("Team <Team>"), { name: "Team", inner: "Team" });
});

test("conversion keeps list pills and drops the sender from Bcc", () => {
  const details = { to: ["me@corp.example", "a@x.example"], cc: ["Parents <Parents>"], bcc: ["a@X.EXAMPLE"] };
  assert.deepEqual(convertDetails(details, "me@corp.example"), {
    to: ["me@corp.example"],
    cc: [],
    bcc: ["a@x.example", "Parents <Parents>"],
  });
});
