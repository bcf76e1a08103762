/*
 * What the visitor's chat box (chat.js) and the staff console (console.js) do alike:
 * ids for outgoing messages, sending a frame, which links may be opened, the reconnect
 * backoff and the socket that comes back by itself (with its heartbeat), the outbox of
 * messages not yet acknowledged, the wait a rate-limit refusal asks for, saying "typing",
 * the tab's session storage and the browser's local storage, and the page's config (with
 * the chat server's address when the box is embedded on another site).
 * A native ES module: both import what they use from it.
 */
var BACKOFF_MIN_MS = 500;
var BACKOFF_MAX_MS = 10000;
var RESEND_DEFAULT_S = 5;   // a "rate_limited" error without a usable retry_after
var RESEND_MAX_S = 300;
var TYPING_RESEND_MS = 2000;  // while typing, say so at most this often
var TYPING_IDLE_MS = 3000;    // quiet this long: "stopped typing"
// The server's limits, URLs and intervals, rendered into the page (chat/frontend.py):
// never written a second time here.
export const config = Object.freeze(JSON.parse(document.getElementById("chat-config").textContent));

/* The id a page gives its message, so that a resend is recognised and stored once. */
export function makeClientId() {
  if (window.crypto && typeof window.crypto.randomUUID === "function") {
    return window.crypto.randomUUID();
  }
  var bytes = new Uint8Array(16);
  if (window.crypto && typeof window.crypto.getRandomValues === "function") {
    window.crypto.getRandomValues(bytes);
  } else {
    for (var i = 0; i < bytes.length; i++) {
      bytes[i] = Math.floor(Math.random() * 256);
    }
  }
  var hex = "";
  for (var j = 0; j < bytes.length; j++) {
    hex += (bytes[j] < 16 ? "0" : "") + bytes[j].toString(16);
  }
  return hex;
}

/* Frames come from the network: a field that is not a string is treated as empty. */
export function str(value) {
  return typeof value === "string" ? value : "";
}

/* The absolute http(s) address a link from the network may open, or "" for anything else:
 * a "javascript:" or "data:" link would run in, or impersonate, the page. */
export function httpUrl(value) {
  if (typeof value !== "string" || value === "") {
    return "";
  }
  var url;
  try {
    url = new URL(value);
  } catch (e) {
    return "";  // relative or malformed: a bot app gives full addresses
  }
  return url.protocol === "http:" || url.protocol === "https:" ? url.href : "";
}

/* True when the frame went out; a closed or closing socket drops it. */
export function sendJson(socket, frame) {
  if (!socket || socket.readyState !== WebSocket.OPEN) {
    return false;
  }
  try {
    socket.send(JSON.stringify(frame));
    return true;
  } catch (e) {
    return false;
  }
}

/* Exponential backoff with jitter, so that pages dropped together by a server
 * restart do not all come back in the same instant. */
export function backoffDelay(attempt) {
  var base = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * Math.pow(2, attempt));
  return Math.min(BACKOFF_MAX_MS, Math.max(BACKOFF_MIN_MS,
    Math.round(base * (0.75 + Math.random() * 0.5))));
}

/* Milliseconds to wait before sending again what a "rate_limited" error refused. */
export function retryAfterMs(seconds) {
  var wait = typeof seconds === "number" && isFinite(seconds) && seconds > 0 ?
    Math.min(seconds, RESEND_MAX_S) : RESEND_DEFAULT_S;
  return wait * 1000;
}

/* "Typing…" for the other side, said at most every TYPING_RESEND_MS while keys come, and
 * "stopped" after TYPING_IDLE_MS of quiet or when the text is gone. ``send(active, key)``
 * sends the frame and says whether it went out; ``key`` names what is typed into (the
 * console's conversation), and typing into another first stops the previous one.
 * ``timers`` is for tests. */
export function typingNotifier(send, timers) {
  var clock = timers || {
    now: function () { return Date.now(); },
    set: function (fn, ms) { return setTimeout(fn, ms); },
    clear: function (id) { clearTimeout(id); }
  };
  var active = false;
  var key = null;
  var lastSent = 0;
  var idleTimer = null;

  function stop(notify) {
    if (idleTimer !== null) {
      clock.clear(idleTimer);
      idleTimer = null;
    }
    if (active && notify) {
      send(false, key);
    }
    active = false;
    key = null;
    lastSent = 0;
  }

  function input(hasText, typedInto) {
    if (!hasText) {
      stop(true);
      return;
    }
    var now = clock.now();
    if (!active || key !== typedInto || now - lastSent >= TYPING_RESEND_MS) {
      if (active && key !== typedInto) {
        stop(true);
      }
      if (send(true, typedInto)) {
        active = true;
        key = typedInto;
        lastSent = now;
      }
    }
    if (idleTimer !== null) {
      clock.clear(idleTimer);
    }
    idleTimer = clock.set(function () {
      idleTimer = null;
      stop(true);
    }, TYPING_IDLE_MS);
  }

  return Object.freeze({ input: input, stop: stop });
}

/* ``path`` on the chat's server: this site, or the one named by config.base_url when the
 * box is embedded on another site's page (embed.js). */
export function chatUrl(path) {
  return config.base_url ? new URL(path, config.base_url).href : path;
}

/* The socket at ``path`` on the chat's server, over TLS when that server is. */
export function siteSocketUrl(path) {
  var base = new URL(config.base_url || window.location.href);
  var scheme = base.protocol === "https:" ? "wss://" : "ws://";
  return scheme + base.host + path;
}

/* A frame from the network as the object it must be, or null for anything else. */
export function parseFrame(raw) {
  if (typeof raw !== "string") {
    return null;
  }
  var frame;
  try {
    frame = JSON.parse(raw);
  } catch (e) {
    return null;
  }
  return frame !== null && typeof frame === "object" && !Array.isArray(frame) ? frame : null;
}

/* The tab's sessionStorage (the chat follows the visitor from page to page in one tab);
 * storage may be unavailable (privacy mode, quota), and the chat works on without it. */
export function sessionGet(key) {
  try {
    return window.sessionStorage.getItem(key);
  } catch (e) {
    return null;
  }
}

export function sessionSet(key, value) {
  try {
    if (value === null) {
      window.sessionStorage.removeItem(key);
    } else {
      window.sessionStorage.setItem(key, value);
    }
  } catch (e) {
    /* unavailable: kept for this page only */
  }
}

/* The browser's localStorage, shared by the visitor's tabs on this site (the same caveats). */
export function localGet(key) {
  try {
    return window.localStorage.getItem(key);
  } catch (e) {
    return null;
  }
}

export function localSet(key, value) {
  try {
    if (value === null) {
      window.localStorage.removeItem(key);
    } else {
      window.localStorage.setItem(key, value);
    }
  } catch (e) {
    /* unavailable: kept for this page only */
  }
}

/* A short sound made on the spot with Web Audio (no sound file to download): ``notes`` are
 * [frequency in Hz, start in seconds] pairs, each rising to ``peak`` and fading over
 * ``length`` seconds as a ``type`` wave. Browsers allow audio once the page has had a click or
 * a key; before that it stays silent. True when it played. */
export function playNotes(notes, options) {
  var AudioContext = window.AudioContext || window.webkitAudioContext;
  if (!AudioContext) {
    return false;
  }
  try {
    var context = playNotes.context || (playNotes.context = new AudioContext());
    if (context.state === "suspended") {
      context.resume();
    }
    var start = context.currentTime;
    notes.forEach(function (note) {
      var oscillator = context.createOscillator();
      var gain = context.createGain();
      oscillator.type = options.type;
      oscillator.frequency.value = note[0];
      gain.gain.setValueAtTime(0.0001, start + note[1]);
      gain.gain.exponentialRampToValueAtTime(options.peak, start + note[1] + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + note[1] + options.length);
      oscillator.connect(gain);
      gain.connect(context.destination);
      oscillator.start(start + note[1]);
      oscillator.stop(start + note[1] + options.length + 0.03);
    });
    return true;
  } catch (e) {
    return false;
  }
}

/* Messages sent and not yet acknowledged, in the order they were typed: the visitor's and
 * the agent's. The server stores each client_id once, so sending an item again (after a
 * reconnect, or once a "too fast" wait is over) never makes a duplicate.
 * ``storageKey`` keeps the items in the tab's session storage, so what the visitor typed
 * survives navigating away before it was acknowledged; ``valid(item)`` says which stored
 * items to take back (storage is the page's to edit) and what of each to keep. */
export function outbox(options) {
  var opts = options || {};
  var items = opts.storageKey ? load() : [];

  function load() {
    var parsed;
    try {
      parsed = JSON.parse(sessionGet(opts.storageKey) || "[]");
    } catch (e) {
      return [];
    }
    if (!Array.isArray(parsed)) {
      return [];
    }
    var kept = [];
    parsed.forEach(function (item) {
      var valid = item !== null && typeof item === "object" && opts.valid ? opts.valid(item) : null;
      if (valid) {
        kept.push(valid);
      }
    });
    return kept;
  }

  function save() {
    if (opts.storageKey) {
      sessionSet(opts.storageKey, items.length ? JSON.stringify(items) : null);
    }
  }

  function indexOf(clientId) {
    for (var i = 0; i < items.length; i++) {
      if (items[i].client_id === clientId) {
        return i;
      }
    }
    return -1;
  }

  return Object.freeze({
    add: function (item) { items.push(item); save(); },
    get: function (clientId) {
      var i = indexOf(clientId);
      return i === -1 ? null : items[i];
    },
    /* The item is acknowledged, or given up on: the removed item, or null. */
    remove: function (clientId) {
      var i = indexOf(clientId);
      if (i === -1) {
        return null;
      }
      var item = items.splice(i, 1)[0];
      save();
      return item;
    },
    items: function () { return items.slice(); },
    size: function () { return items.length; }
  });
}

/* One socket to the server that comes back by itself, for the chat box and the console.
 *
 * ``connect()`` opens it unless it is open or opening; ``onFrame(frame)`` gets each frame
 * that is a JSON object (``parseFrame``). After a drop, ``onClose(event)``
 * says what next: "later" (again after the backoff; ``onRetry(delayMs)`` hears how long),
 * "now" (at once: the server closed the conversation, not the connection), or "stop" (a
 * refusal that retrying cannot mend, or the page no longer wants it). ``live()`` tells that
 * the server really talks (its first frame, not the handshake): only then does the backoff
 * start afresh, so a server that accepts and drops at once is not hammered. ``soon()``,
 * for the network coming back or the tab showing again, skips a long wait. ``close()``
 * ends it quietly, with no reconnect. ``heartbeat(ms, frame)`` sends ``frame`` every ``ms``
 * while this connection lasts (the console's presence expires unless renewed); a drop or
 * ``close()`` ends it. ``timers`` and ``WebSocketClass`` are for tests. */
export function reconnectingSocket(options) {
  var clock = options.timers || {
    set: function (fn, ms) { return setTimeout(fn, ms); },
    clear: function (id) { clearTimeout(id); }
  };
  var Socket = options.WebSocketClass || WebSocket;
  var socket = null;
  var attempt = 0;
  var timer = null;
  var beat = null;

  function clearTimer() {
    if (timer !== null) {
      clock.clear(timer);
      timer = null;
    }
  }

  function stopHeartbeat() {
    if (beat !== null) {
      clock.clear(beat);
      beat = null;
    }
  }

  function heartbeat(ms, frame) {
    stopHeartbeat();
    var ws = socket;
    function next() {
      beat = clock.set(function () {
        if (socket === ws) {
          sendJson(ws, frame);
          next();
        } else {
          beat = null;
        }
      }, ms);
    }
    if (ws !== null) {
      next();
    }
  }

  function isOpen() {
    return socket !== null && socket.readyState === Socket.OPEN;
  }

  function connect() {
    clearTimer();
    if (socket !== null && (socket.readyState === Socket.OPEN ||
        socket.readyState === Socket.CONNECTING)) {
      return;
    }
    if (options.onConnecting) {
      options.onConnecting(attempt);
    }
    var ws;
    try {
      ws = new Socket(options.url());
    } catch (e) {
      later();
      return;
    }
    socket = ws;
    ws.addEventListener("message", function (event) {
      var frame = socket === ws ? parseFrame(event.data) : null;
      if (frame !== null) {
        options.onFrame(frame);
      }
    });
    ws.addEventListener("close", function (event) {
      if (socket !== ws) {
        return;  // closed on purpose, or replaced
      }
      socket = null;
      stopHeartbeat();
      var next = options.onClose(event);
      if (next === "now") {
        attempt = 0;
        connect();
      } else if (next === "later") {
        later();
      }
    });
    // "error" is always followed by "close".
  }

  function later() {
    clearTimer();
    var delay = backoffDelay(attempt);
    attempt = Math.min(attempt + 1, 20);
    if (options.onRetry) {
      options.onRetry(delay);
    }
    timer = clock.set(function () {
      timer = null;
      connect();
    }, delay);
  }

  function soon() {
    if (socket === null) {
      attempt = Math.min(attempt, 1);
      connect();
    }
  }

  function close(code, reason) {
    clearTimer();
    stopHeartbeat();
    var ws = socket;
    socket = null;
    if (ws !== null) {
      try {
        ws.close(code || 1000, reason || "");
      } catch (e) {
        /* already closing */
      }
    }
  }

  return Object.freeze({
    connect: connect,
    soon: soon,
    close: close,
    live: function () { attempt = 0; },
    again: function () { attempt = 0; connect(); },
    send: function (frame) { return sendJson(socket, frame); },
    heartbeat: heartbeat,
    isOpen: isOpen,
    waiting: function () { return timer !== null; },
    attempt: function () { return attempt; },
    current: function () { return socket; }
  });
}
