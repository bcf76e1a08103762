// What the chat box and the console share (chat/static/chat/common.js), run as the browser runs it:
// the shipped ES module, imported afresh for each test with the page's config and a fake socket.
// Run by `make test` with node's own test runner: node --test chat/tests/js/*.test.mjs
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

const SOURCE = readFileSync(new URL("../../static/chat/common.js", import.meta.url), "utf8");
const OPEN = 1;

// A data: URL is always read as an ES module, and each import of a new one is a fresh module
// (its own config), whatever Node.js version runs the tests.
async function load({ config = { max_text_length: 2000 }, crypto } = {}) {
  globalThis.window = { crypto };
  globalThis.document = {
    getElementById: (id) => (id === "chat-config" ? { textContent: JSON.stringify(config) } : null),
  };
  globalThis.WebSocket = { OPEN };
  const fresh = `\n// ${Math.random()}`;
  return import("data:text/javascript;charset=utf-8," + encodeURIComponent(SOURCE + fresh));
}

test("the page's config is read once and cannot be changed", async () => {
  const common = await load({ config: { max_text_length: 321, socket_path: "/ws/chat/" } });
  assert.equal(common.config.max_text_length, 321);
  assert.equal(common.config.socket_path, "/ws/chat/");
  assert.ok(Object.isFrozen(common.config));
});

test("a client id is the browser's UUID, or 32 random hex digits without one", async () => {
  assert.equal((await load({ crypto: { randomUUID: () => "uuid-1" } })).makeClientId(), "uuid-1");
  const bare = await load();
  const id = bare.makeClientId();
  assert.match(id, /^[0-9a-f]{32}$/);
  assert.notEqual(bare.makeClientId(), id);
});

test("a field that is not a string reads as empty", async () => {
  const { str } = await load();
  assert.equal(str("hi"), "hi");
  for (const value of [undefined, null, 3, {}, ["a"]]) {
    assert.equal(str(value), "");
  }
});

test("only absolute http(s) links from the network may be opened", async () => {
  const { httpUrl } = await load();
  assert.equal(httpUrl("https://example.com/docs"), "https://example.com/docs");
  assert.equal(httpUrl("http://example.com"), "http://example.com/");
  for (const value of [
    "javascript:alert(1)",
    "JAVASCRIPT:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "/relative/path",
    "example.com",
    "",
    42,
    null,
  ]) {
    assert.equal(httpUrl(value), "", String(value));
  }
});

test("a frame goes out only on an open socket, and a failing send is no throw", async () => {
  const { sendJson } = await load();
  const sent = [];
  assert.equal(sendJson({ readyState: OPEN, send: (text) => sent.push(text) }, { type: "x" }), true);
  assert.deepEqual(sent, ['{"type":"x"}']);
  assert.equal(sendJson({ readyState: 3, send: () => assert.fail("sent") }, {}), false);
  assert.equal(sendJson(null, {}), false);
  const broken = { readyState: OPEN, send: () => { throw new Error("gone"); } };
  assert.equal(sendJson(broken, {}), false);
});

test("reconnects back off exponentially, with jitter, between 0.5 s and 10 s", async () => {
  const { backoffDelay } = await load();
  for (let attempt = 0; attempt < 12; attempt++) {
    for (let run = 0; run < 50; run++) {
      const delay = backoffDelay(attempt);
      assert.ok(delay >= 500 && delay <= 10000, `${attempt}: ${delay}`);
    }
  }
  const first = Math.max(...Array.from({ length: 50 }, () => backoffDelay(0)));
  const later = Math.min(...Array.from({ length: 50 }, () => backoffDelay(4)));
  assert.ok(first <= 625 && later >= 6000, `${first} ${later}`);
  const jittered = new Set(Array.from({ length: 50 }, () => backoffDelay(3)));
  assert.ok(jittered.size > 1, "every page would come back at the same instant");
});

test("a refused message waits what the server asks, within bounds", async () => {
  const { retryAfterMs } = await load();
  assert.equal(retryAfterMs(2.5), 2500);
  assert.equal(retryAfterMs(10_000), 300_000);
  for (const value of [undefined, "3", -1, 0, Infinity, NaN]) {
    assert.equal(retryAfterMs(value), 5000, String(value));
  }
});

function fakeClock() {
  const clock = { time: 0, timers: new Map(), next: 1 };
  clock.now = () => clock.time;
  clock.set = (fn, ms) => {
    const id = clock.next++;
    clock.timers.set(id, { fn, at: clock.time + ms });
    return id;
  };
  clock.clear = (id) => clock.timers.delete(id);
  clock.advance = (ms) => {
    clock.time += ms;
    for (const [id, timer] of [...clock.timers]) {
      if (timer.at <= clock.time) {
        clock.timers.delete(id);
        timer.fn();
      }
    }
  };
  return clock;
}

test("typing is said at once, then at most every 2 s, and stopped after 3 s of quiet", async () => {
  const sent = [];
  const clock = fakeClock();
  const typing = (await load()).typingNotifier((active, key) => sent.push([active, key]) > 0, clock);
  typing.input(true, 7);
  clock.advance(500);
  typing.input(true, 7);
  clock.advance(1600);
  typing.input(true, 7); // 2.1 s after the first: said again
  assert.deepEqual(sent, [[true, 7], [true, 7]]);
  clock.advance(2999);
  assert.equal(sent.length, 2);
  clock.advance(1);
  assert.deepEqual(sent.at(-1), [false, 7]);
  clock.advance(10_000);
  assert.equal(sent.length, 3, "stopped once");
});

test("clearing the text, or typing into another conversation, stops the typing", async () => {
  const sent = [];
  const clock = fakeClock();
  const typing = (await load()).typingNotifier((active, key) => sent.push([active, key]) > 0, clock);
  typing.input(true, 1);
  typing.input(true, 2);
  assert.deepEqual(sent, [[true, 1], [false, 1], [true, 2]]);
  typing.input(false, 2);
  assert.deepEqual(sent.at(-1), [false, 2]);
  typing.stop(true); // nothing is typed: nothing to stop
  assert.equal(sent.length, 4);
});

test("a frame that did not go out is tried again on the next key, and stop can stay silent", async () => {
  const sent = [];
  let up = false;
  const clock = fakeClock();
  const typing = (await load()).typingNotifier((active, key) => up && sent.push([active, key]) > 0, clock);
  typing.input(true, "v");
  assert.deepEqual(sent, []);
  up = true;
  typing.input(true, "v");
  assert.deepEqual(sent, [[true, "v"]]);
  typing.stop(false);
  clock.advance(5000);
  assert.deepEqual(sent, [[true, "v"]], "no stop frame, and the idle timer is gone");
});

// --- the socket that comes back by itself --------------------------------------------------

class FakeSocket {
  static CONNECTING = 0;
  static OPEN = 1;
  static made = [];

  constructor(url) {
    this.url = url;
    this.readyState = FakeSocket.CONNECTING;
    this.listeners = {};
    this.sent = [];
    this.closedWith = null;
    FakeSocket.made.push(this);
  }

  addEventListener(type, fn) {
    this.listeners[type] = fn;
  }

  send(data) {
    this.sent.push(JSON.parse(data));
  }

  close(code) {
    this.closedWith = code;
  }

  open() {
    this.readyState = FakeSocket.OPEN;
  }

  frame(data) {
    this.listeners.message({ data });
  }

  drop(code = 1006) {
    this.readyState = 3;
    this.listeners.close({ code });
  }
}

async function reconnecting({ onClose = () => "later", ...more } = {}) {
  FakeSocket.made = [];
  const clock = fakeClock();
  const seen = { frames: [], retries: [], connecting: [] };
  const common = await load();
  const socket = common.reconnectingSocket({
    url: () => "ws://shop.test/ws/chat/",
    onFrame: (data) => seen.frames.push(data),
    onClose,
    onRetry: (ms) => seen.retries.push(ms),
    onConnecting: (attempt) => seen.connecting.push(attempt),
    timers: clock,
    WebSocketClass: FakeSocket,
    ...more,
  });
  return { socket, clock, seen };
}

test("a dropped socket comes back after a growing wait, and afresh once the server talks", async () => {
  const { socket, clock, seen } = await reconnecting();
  socket.connect();
  socket.connect(); // already opening: still one socket
  assert.equal(FakeSocket.made.length, 1);
  FakeSocket.made[0].drop();
  assert.ok(socket.waiting());
  clock.advance(10_000);
  assert.equal(FakeSocket.made.length, 2);
  FakeSocket.made[1].drop();
  clock.advance(10_000);
  FakeSocket.made[2].drop();
  assert.deepEqual(seen.connecting, [0, 1, 2]);
  const [first, second, third] = seen.retries;
  assert.ok(first >= 500 && first <= 625, `first wait ${first}`);
  assert.ok(second >= 750 && second <= 1250, `second wait ${second}`);
  assert.ok(third >= 1500 && third <= 2500, `third wait ${third}`);
  clock.advance(10_000);
  const fourth = FakeSocket.made[3];
  fourth.open();
  fourth.frame('{"type":"status"}');
  socket.live(); // the page's word that the server really talks
  fourth.frame("[1, 2]"); // not a frame: nobody hears of it
  fourth.frame("{oops");
  assert.deepEqual(seen.frames, [{ type: "status" }]);
  fourth.drop();
  assert.ok(seen.retries.at(-1) <= 625, "the backoff started afresh");
});

test("a close the page calls fatal, or its own close(), never reconnects", async () => {
  const { socket, clock } = await reconnecting({ onClose: (event) => (event.code === 4003 ? "stop" : "later") });
  socket.connect();
  FakeSocket.made[0].drop(4003);
  clock.advance(60_000);
  assert.equal(FakeSocket.made.length, 1);
  socket.connect();
  FakeSocket.made[1].open();
  socket.close(1000, "Chat closed");
  assert.equal(FakeSocket.made[1].closedWith, 1000);
  assert.equal(socket.current(), null);
  clock.advance(60_000);
  assert.equal(FakeSocket.made.length, 2, "closing on purpose is no drop");
});

test("'now' reopens at once, and soon() skips a long wait", async () => {
  const { socket, clock } = await reconnecting({ onClose: (event) => (event.code === 4002 ? "now" : "later") });
  socket.connect();
  FakeSocket.made[0].drop(4002);
  assert.equal(FakeSocket.made.length, 2, "reopened without waiting");
  for (let n = 0; n < 6; n++) {
    FakeSocket.made.at(-1).drop();
    clock.advance(60_000);
  }
  FakeSocket.made.at(-1).drop();
  const before = FakeSocket.made.length;
  socket.soon(); // the network is back
  assert.equal(FakeSocket.made.length, before + 1);
  assert.ok(!socket.waiting(), "the long wait is dropped");
});

test("frames go out only on an open socket", async () => {
  const { socket } = await reconnecting();
  assert.equal(socket.send({ type: "typing" }), false);
  socket.connect();
  assert.equal(socket.send({ type: "typing" }), false, "still connecting");
  FakeSocket.made[0].open();
  assert.equal(socket.send({ type: "typing", active: true }), true);
  assert.deepEqual(FakeSocket.made[0].sent, [{ type: "typing", active: true }]);
  assert.ok(socket.isOpen());
});

test("a frame is a JSON object; anything else from the network is dropped", async () => {
  const { parseFrame } = await load();
  assert.deepEqual(parseFrame('{"type": "message", "id": 3}'), { type: "message", id: 3 });
  for (const raw of ["", "{", "[]", "null", "3", '"text"', undefined, new Uint8Array(2)]) {
    assert.equal(parseFrame(raw), null, String(raw));
  }
});

// --- the outbox and the heartbeat ----------------------------------------------------------

function fakeSessionStorage(initial = {}) {
  const data = new Map(Object.entries(initial));
  return {
    data,
    getItem: (key) => (data.has(key) ? data.get(key) : null),
    setItem: (key, value) => data.set(key, String(value)),
    removeItem: (key) => data.delete(key),
  };
}

test("the outbox keeps what is unacknowledged in order, and forgets what is", async () => {
  const { outbox } = await load();
  const box = outbox();
  box.add({ client_id: "a", text: "one" });
  box.add({ client_id: "b", text: "two" });
  assert.equal(box.size(), 2);
  assert.deepEqual(box.get("b"), { client_id: "b", text: "two" });
  assert.equal(box.get("zzz"), null);
  const copy = box.items();
  copy.pop();
  assert.equal(box.size(), 2, "items() is a copy");
  assert.deepEqual(box.remove("a"), { client_id: "a", text: "one" });
  assert.equal(box.remove("a"), null, "acknowledged twice: nothing left to remove");
  assert.deepEqual(box.items().map((item) => item.client_id), ["b"]);
});

test("a stored outbox survives a page load, and only what is valid comes back", async () => {
  const common = await load();
  const storage = fakeSessionStorage({
    "chatbox:outbox": JSON.stringify([
      { client_id: "ok", text: "hello", extra: 1 },
      { client_id: "", text: "no id" },
      null,
      "text",
    ]),
  });
  globalThis.window.sessionStorage = storage;
  const valid = (item) =>
    typeof item.client_id === "string" && item.client_id ? { client_id: item.client_id, text: item.text } : null;
  const box = common.outbox({ storageKey: "chatbox:outbox", valid });
  assert.deepEqual(box.items(), [{ client_id: "ok", text: "hello" }]);
  box.add({ client_id: "new", text: "again" });
  assert.deepEqual(JSON.parse(storage.getItem("chatbox:outbox")).map((item) => item.client_id), ["ok", "new"]);
  box.remove("ok");
  box.remove("new");
  assert.equal(storage.getItem("chatbox:outbox"), null, "an empty outbox leaves nothing behind");

  storage.setItem("chatbox:outbox", "{not json");
  assert.equal(common.outbox({ storageKey: "chatbox:outbox", valid }).size(), 0);
  storage.setItem("chatbox:outbox", '{"client_id": "x"}');
  assert.equal(common.outbox({ storageKey: "chatbox:outbox", valid }).size(), 0, "not a list");
});

test("without session storage the outbox and the chat work on for this page", async () => {
  const common = await load();
  Object.defineProperty(globalThis.window, "sessionStorage", {
    get() {
      throw new Error("SecurityError");
    },
  });
  assert.equal(common.sessionGet("chatbox:open"), null);
  common.sessionSet("chatbox:open", "1"); // no throw
  const box = common.outbox({ storageKey: "chatbox:outbox", valid: (item) => item });
  box.add({ client_id: "a", text: "kept in memory" });
  assert.equal(box.size(), 1);
});

test("a heartbeat goes out while its connection lasts, and stops with it", async () => {
  const { socket, clock } = await reconnecting();
  socket.heartbeat(1000, { type: "heartbeat" }); // not connected: nothing to beat on
  clock.advance(5000);
  socket.connect();
  const first = FakeSocket.made[0];
  first.open();
  socket.heartbeat(1000, { type: "heartbeat" });
  socket.heartbeat(1000, { type: "heartbeat" }); // again (a second hello): still one beat
  clock.advance(1000);
  clock.advance(1000);
  clock.advance(500);
  assert.deepEqual(first.sent, [{ type: "heartbeat" }, { type: "heartbeat" }]);
  first.drop();
  clock.advance(20_000); // the reconnect opens a second socket, which has no heartbeat yet
  assert.equal(first.sent.length, 2, "a dropped connection beats no more");
  const second = FakeSocket.made[1];
  second.open();
  assert.deepEqual(second.sent, []);
  socket.heartbeat(1000, { type: "heartbeat" });
  clock.advance(1000);
  assert.equal(second.sent.length, 1);
  socket.close(1000, "Console closed");
  clock.advance(5000);
  assert.equal(second.sent.length, 1, "closing on purpose ends it too");
});
