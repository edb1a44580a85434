// The native host connection: one port for many requests, matched by request_id;
// every request settles (reply, missing host, exit, timeout), and a new port follows.
import assert from "node:assert/strict";
import { test } from "node:test";

import { HOST_NAME, NativeHost } from "../../plugin/modules/native.js";
import { StubEvent } from "./browser_stub.mjs";

/** A connectNative port whose host the test plays. */
class FakePort {
  constructor(name) {
    this.name = name;
    this.sent = [];
    this.disconnected = false;
    this.onMessage = new StubEvent();
    this.onDisconnect = new StubEvent();
  }
  postMessage(message) {
    if (this.disconnected) throw new Error("Attempt to postMessage on disconnected port");
    this.sent.push(message);
  }
  disconnect() {
    this.disconnected = true;
  }
  /** The host answers. */
  reply(message) {
    this.onMessage.fire(message, this);
  }
  /** The host exits (or was never there): Thunderbird disconnects the port. */
  exit(message = "No such native application") {
    this.disconnected = true;
    this.error = { message };
    this.onDisconnect.fire(this);
  }
}

function setup(options = {}) {
  const ports = [];
  const browser = {
    runtime: {
      connectNative(name) {
        const port = new FakePort(name);
        ports.push(port);
        return port;
      },
    },
  };
  return { host: new NativeHost(browser, { timeoutMs: 200, ...options }), ports };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

test("several requests share one port and each gets its own reply, in any order", async () => {
  const { host, ports } = setup();
  const first = host.request({ type: "policy" });
  const second = host.request({ type: "record-incident", incident: {} });
  const third = host.policy("me@x.example");
  assert.equal(ports.length, 1);
  assert.equal(ports[0].name, HOST_NAME);
  const [a, b, c] = ports[0].sent;
  assert.deepEqual(a, { type: "policy", request_id: a.request_id });
  assert.equal(new Set([a.request_id, b.request_id, c.request_id]).size, 3);
  assert.equal(c.sender, "me@x.example");
  ports[0].reply({ ok: true, id: "inc-7", request_id: b.request_id });
  ports[0].reply({ ok: true, policy: { threshold: 4 }, request_id: c.request_id });
  ports[0].reply({ ok: true, policy: { threshold: 9 }, request_id: a.request_id });
  assert.deepEqual(await first, { ok: true, policy: { threshold: 9 } });
  assert.deepEqual(await second, { ok: true, id: "inc-7" }); // the incident's own id stays
  assert.deepEqual(await third, { threshold: 4 });
});

test("a later request reuses the open port: one host process for many messages", async () => {
  const { host, ports } = setup();
  for (let i = 0; i < 5; i += 1) {
    const pending = host.policy();
    const { request_id } = ports[0].sent.at(-1);
    ports[0].reply({ ok: true, policy: { threshold: i }, request_id });
    assert.deepEqual(await pending, { threshold: i });
  }
  assert.equal(ports.length, 1);
  assert.equal(ports[0].disconnected, false);
});

test("an older desktop app's reply without request_id answers the oldest request", async () => {
  const { host, ports } = setup();
  const first = host.request({ type: "policy" });
  const second = host.request({ type: "check" });
  ports[0].reply({ ok: true, answer: 1 });
  ports[0].reply({ ok: true, answer: 2 });
  assert.deepEqual(await first, { ok: true, answer: 1 });
  assert.deepEqual(await second, { ok: true, answer: 2 });
});

test("an error reply is null, and the port stays open", async () => {
  const { host, ports } = setup();
  const pending = host.request({ type: "format-disk" });
  ports[0].reply({ ok: false, error: "unknown request type", request_id: ports[0].sent[0].request_id });
  assert.equal(await pending, null);
  assert.equal(ports[0].disconnected, false);
});

test("no host installed: null at once, and the next request tries again", async () => {
  const { host, ports } = setup({ timeoutMs: 5000 });
  const started = Date.now();
  const pending = host.policy();
  ports[0].exit();
  assert.equal(await pending, null);
  assert.ok(Date.now() - started < 1000);
  const again = host.policy();
  assert.equal(ports.length, 2);
  ports[1].reply({ ok: true, policy: { threshold: 3 }, request_id: ports[1].sent[0].request_id });
  assert.deepEqual(await again, { threshold: 3 });
});

test("the host exits with requests waiting: each gets null, then a new port", async () => {
  const { host, ports } = setup({ timeoutMs: 5000 });
  const waiting = [host.request({ type: "policy" }), host.request({ type: "policy" })];
  ports[0].exit("host crashed");
  assert.deepEqual(await Promise.all(waiting), [null, null]);
  host.request({ type: "policy" });
  assert.equal(ports.length, 2);
});

test("a host that does not answer in time: null, its port is closed, the next is new", async () => {
  const { host, ports } = setup({ timeoutMs: 50 });
  const started = Date.now();
  const late = host.request({ type: "policy" });
  assert.equal(await late, null);
  assert.ok(Date.now() - started >= 45);
  assert.equal(ports[0].disconnected, true);
  // Its answer after all changes nothing; the next request starts a fresh host.
  ports[0].reply({ ok: true, request_id: ports[0].sent[0].request_id });
  const next = host.request({ type: "policy" });
  assert.equal(ports.length, 2);
  ports[1].reply({ ok: true, n: 2, request_id: ports[1].sent[0].request_id });
  assert.deepEqual(await next, { ok: true, n: 2 });
});

test("a port that cannot take the message: null, and a new port next time", async () => {
  const { host, ports } = setup();
  host.warmUp();
  ports[0].disconnected = true; // gone without an onDisconnect yet
  assert.equal(await host.request({ type: "policy" }), null);
  host.request({ type: "policy" });
  assert.equal(ports.length, 2);
});

test("Thunderbird refusing to connect is the same as no host", async () => {
  const browser = {
    runtime: {
      connectNative() {
        throw new Error("nativeMessaging permission missing");
      },
    },
  };
  assert.equal(await new NativeHost(browser).policy(), null);
});

test("idle: the port closes after idleMs without requests, the next request reconnects", async () => {
  const { host, ports } = setup({ idleMs: 30 });
  const pending = host.request({ type: "policy" });
  await sleep(60); // a request in flight is never cut by the idle timer
  assert.equal(ports[0].disconnected, false);
  ports[0].reply({ ok: true, request_id: ports[0].sent[0].request_id });
  await pending;
  await sleep(10);
  assert.equal(ports[0].disconnected, false);
  await sleep(60);
  assert.equal(ports[0].disconnected, true);
  host.request({ type: "policy" });
  assert.equal(ports.length, 2);
});

test("without idleMs (a popup or the options page) the port stays while the page lives", async () => {
  const { host, ports } = setup();
  const pending = host.request({ type: "policy" });
  ports[0].reply({ ok: true, request_id: ports[0].sent[0].request_id });
  await pending;
  await sleep(50);
  assert.equal(ports[0].disconnected, false);
});

test("warmUp starts the host once, and an unused warm port closes when idle", async () => {
  const { host, ports } = setup({ idleMs: 30 });
  host.warmUp();
  host.warmUp();
  assert.equal(ports.length, 1);
  assert.deepEqual(ports[0].sent, []);
  await tick();
  const pending = host.request({ type: "policy" }); // reuses the warm port
  assert.equal(ports.length, 1);
  ports[0].reply({ ok: true, request_id: ports[0].sent[0].request_id });
  await pending;
  await sleep(80);
  assert.equal(ports[0].disconnected, true);
});
