// The chat box's unread count, title and chime (chat/static/chat/notify.js), run as the browser
// runs it, on a stand-in for the page: which replies count, which sound, and once.
// Run by `make test` with node's own test runner: node --test chat/tests/js/*.test.mjs
import assert from "node:assert/strict";
import { beforeEach, test } from "node:test";

const storage = new Map();
const played = [];
globalThis.navigator = {};  // no Web Locks: the tab decides alone
globalThis.window = {
  localStorage: {
    getItem: (key) => (storage.has(key) ? storage.get(key) : null),
    setItem: (key, value) => storage.set(key, String(value)),
    removeItem: (key) => storage.delete(key),
  },
  addEventListener: () => {},
  // Web Audio: each note an oscillator; a chime is two.
  AudioContext: class {
    constructor() { this.currentTime = 0; this.state = "running"; this.destination = {}; }
    createOscillator() {
      return { frequency: {}, connect() {}, start() { played.push("note"); }, stop() {} };
    }
    createGain() {
      return { gain: { setValueAtTime() {}, exponentialRampToValueAtTime() {} }, connect() {} };
    }
  },
};
globalThis.document = {
  title: "Gopher Goods",
  getElementById: (id) => (id === "chat-config" ? { textContent: "{}" } : null),
};
globalThis.CustomEvent = class {
  constructor(type, init) { this.type = type; this.detail = init.detail; }
};
const { unreadTracker } = await import("../../static/chat/notify.js");

function element() {
  const attributes = new Map();
  return {
    hidden: false,
    textContent: "",
    setAttribute: (name, value) => attributes.set(name, String(value)),
    getAttribute: (name) => (attributes.has(name) ? attributes.get(name) : null),
  };
}

function message(id, role) {
  const node = element();
  node.setAttribute("data-message-id", id);
  node.setAttribute("data-role", role);
  return node;
}

function page({ soundBotReplies = false } = {}) {
  const shown = [];
  const events = [];
  const reads = [];
  let seen = false;
  const parts = {
    box: { dispatchEvent: (event) => events.push(event.detail.role) },
    launcher: element(),
    conversation: { querySelectorAll: () => shown },
    badge: element(),
    unreadText: element(),
    announcer: element(),
    soundControl: null,
  };
  const tracker = unreadTracker({
    ...parts,
    soundBotReplies,
    seen: () => seen,
    markRead: (id) => reads.push(id),
  });
  return {
    tracker, parts, events, reads,
    show(...nodes) { shown.push(...nodes); tracker.update(); },
    see() { seen = true; tracker.update(); },
  };
}

beforeEach(() => {
  storage.clear();
  played.length = 0;
  document.title = "Gopher Goods";
});

test("the bot's and people's messages after the one read count; the visitor's and notices do not", () => {
  const box = page();
  box.tracker.setReadThrough("g");
  box.show(message("g", "bot"), message("v1", "visitor"), message("b1", "bot"),
    message("s1", "system"), message("a1", "agent"));
  assert.equal(box.tracker.unread(), 2);
  assert.equal(box.parts.badge.hidden, false);
  assert.equal(box.parts.badge.textContent, "2");
  assert.equal(box.parts.unreadText.textContent, ", 2 new messages");
  assert.equal(box.parts.announcer.textContent, "2 new messages");
  assert.equal(document.title, "(2) New messages · Gopher Goods");
});

test("a bot's reply is silent by default, a person's chimes, and only once", () => {
  const box = page();
  box.tracker.setReadThrough("g");
  box.show(message("g", "bot"), message("b1", "bot"));
  assert.deepEqual(box.events, []);
  assert.equal(played.length, 0);
  box.show(message("a1", "agent"));
  assert.deepEqual(box.events, ["agent"]);
  assert.equal(played.length, 2);
  // Shown again (a reload, another tab): the same newest reply does not chime twice.
  box.tracker.update();
  page().show(message("g", "bot"), message("a1", "agent"));
  assert.deepEqual(box.events, ["agent"]);
  assert.equal(played.length, 2);
});

test("a site may let the bot's replies chime too", () => {
  const box = page({ soundBotReplies: true });
  box.tracker.setReadThrough("g");
  box.show(message("g", "bot"), message("b1", "bot"));
  assert.deepEqual(box.events, ["bot"]);
});

test("muted, a person's reply counts but makes no sound", () => {
  storage.set("chatbox:muted", "1");
  const box = page();
  box.tracker.setReadThrough("g");
  box.show(message("g", "bot"), message("a1", "agent"));
  assert.equal(box.tracker.unread(), 1);
  assert.deepEqual(box.events, []);
  assert.equal(played.length, 0);
});

test("what the visitor can see is read at once: the count, the badge and the title clear", () => {
  const box = page();
  box.tracker.setReadThrough("g");
  box.show(message("g", "bot"), message("a1", "agent"), message("v1", "visitor"));
  assert.equal(document.title, "(1) New message · Gopher Goods");
  box.see();
  assert.deepEqual(box.reads, ["v1"]);
  assert.equal(box.parts.badge.hidden, true);
  assert.equal(box.parts.unreadText.textContent, "");
  assert.equal(document.title, "Gopher Goods");
  // The server's "read" comes back: nothing more to send.
  box.tracker.setReadThrough("v1");
  assert.deepEqual(box.reads, ["v1"]);
});
