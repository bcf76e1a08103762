// What the chat box and the console share (static/chat/common.js), run as the browser runs it:
// the shipped file in a context of its own, with the page's config and a fake socket.
// Run by `make test` with node's own test runner: node --test chat/tests/js/*.test.mjs
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import vm from "node:vm";

const SOURCE = readFileSync(new URL("../../../static/chat/common.js", import.meta.url), "utf8");
const OPEN = 1;

function load({ config = { max_text_length: 2000 }, crypto } = {}) {
  const window = { crypto };
  const context = {
    window,
    document: {
      getElementById: (id) => (id === "chat-config" ? { textContent: JSON.stringify(config) } : null),
    },
    WebSocket: { OPEN },
    URL,
    Uint8Array,
    Math,
    JSON,
    Object,
    isFinite,
  };
  vm.runInNewContext(SOURCE, context);
  return window.chatCommon;
}

test("the page's config is read once and cannot be changed", () => {
  const common = load({ config: { max_text_length: 321, socket_path: "/ws/chat/" } });
  assert.equal(common.config.max_text_length, 321);
  assert.equal(common.config.socket_path, "/ws/chat/");
  assert.ok(Object.isFrozen(common.config));
  assert.ok(Object.isFrozen(common));
});

test("a client id is the browser's UUID, or 32 random hex digits without one", () => {
  assert.equal(load({ crypto: { randomUUID: () => "uuid-1" } }).makeClientId(), "uuid-1");
  const bare = load();
  const id = bare.makeClientId();
  assert.match(id, /^[0-9a-f]{32}$/);
  assert.notEqual(bare.makeClientId(), id);
});

test("a field that is not a string reads as empty", () => {
  const { str } = load();
  assert.equal(str("hi"), "hi");
  for (const value of [undefined, null, 3, {}, ["a"]]) {
    assert.equal(str(value), "");
  }
});

test("only absolute http(s) links from the network may be opened", () => {
  const { httpUrl } = load();
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

test("a frame goes out only on an open socket, and a failing send is no throw", () => {
  const { sendJson } = load();
  const sent = [];
  assert.equal(sendJson({ readyState: OPEN, send: (text) => sent.push(text) }, { type: "x" }), true);
  assert.deepEqual(sent, ['{"type":"x"}']);
  assert.equal(sendJson({ readyState: 3, send: () => assert.fail("sent") }, {}), false);
  assert.equal(sendJson(null, {}), false);
  const broken = { readyState: OPEN, send: () => { throw new Error("gone"); } };
  assert.equal(sendJson(broken, {}), false);
});

test("reconnects back off exponentially, with jitter, between 0.5 s and 10 s", () => {
  const { backoffDelay } = load();
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

test("a refused message waits what the server asks, within bounds", () => {
  const { retryAfterMs } = load();
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

test("typing is said at once, then at most every 2 s, and stopped after 3 s of quiet", () => {
  const sent = [];
  const clock = fakeClock();
  const typing = load().typingNotifier((active, key) => sent.push([active, key]) > 0, clock);
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

test("clearing the text, or typing into another conversation, stops the typing", () => {
  const sent = [];
  const clock = fakeClock();
  const typing = load().typingNotifier((active, key) => sent.push([active, key]) > 0, clock);
  typing.input(true, 1);
  typing.input(true, 2);
  assert.deepEqual(sent, [[true, 1], [false, 1], [true, 2]]);
  typing.input(false, 2);
  assert.deepEqual(sent.at(-1), [false, 2]);
  typing.stop(true); // nothing is typed: nothing to stop
  assert.equal(sent.length, 4);
});

test("a frame that did not go out is tried again on the next key, and stop can stay silent", () => {
  const sent = [];
  let up = false;
  const clock = fakeClock();
  const typing = load().typingNotifier((active, key) => up && sent.push([active, key]) > 0, clock);
  typing.input(true, "v");
  assert.deepEqual(sent, []);
  up = true;
  typing.input(true, "v");
  assert.deepEqual(sent, [[true, "v"]]);
  typing.stop(false);
  clock.advance(5000);
  assert.deepEqual(sent, [[true, "v"]], "no stop frame, and the idle timer is gone");
});
