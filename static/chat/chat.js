/*
 * Live chat box (vanilla JS, no dependencies).
 *
 * Protocol (JSON, one object per WebSocket frame):
 *   visitor -> server: {"type": "message", "text": "...", "client_id": "..."}
 *   server -> visitor: {"type": "message", "id": "...", "sender": {"role", "name", "title"},
 *                       "text": "...", "sent_at": "...", "client_id": "..." | null}
 *                      {"type": "error", "code": "...", "detail": "...", "client_id"?: "..."}
 *
 * Every shown message is keyed by its server id, so replays after a reconnect or a page
 * navigation never duplicate anything.  Messages typed by the visitor are shown at once as
 * "pending" (keyed by client_id) and kept in an outbox persisted in sessionStorage until the
 * server acknowledges them (a visitor frame carrying the same client_id).
 */
(function () {
  "use strict";

  var STORAGE_OPEN = "chatbox:open";
  var STORAGE_OUTBOX = "chatbox:outbox";
  var AGENT_INFO_URL = "/restapi/get-agent-info";
  var WS_PATH = "/ws/chat/";
  var BACKOFF_MIN_MS = 500;
  var BACKOFF_MAX_MS = 10000;
  var MAX_TEXT_LENGTH = 2000;
  var TEXT_CONNECTING = "Connecting\u2026";
  var TEXT_RECONNECTING = "Connection lost. Reconnecting\u2026";
  var TEXT_NO_SESSION = "Chat unavailable. Reload the page to continue.";

  var els = {};
  var state = {
    open: false,
    socket: null,
    userClosed: true,
    attempt: 0,
    reconnectTimer: null,
    agentInfoLoaded: false,
    agentInfoPromise: null,
    fatal: false,          // the server said retrying cannot help (e.g. no session cookie)
    shownIds: new Map(),   // server id -> element
    pending: new Map(),    // client_id -> element
    outbox: [],            // [{client_id, text}]
    visitorName: "You"     // the server's name for the visitor, once it has sent one
  };

  /* ---------------- storage helpers ---------------- */

  function storageGet(key) {
    try {
      return window.sessionStorage.getItem(key);
    } catch (e) {
      return null;
    }
  }

  function storageSet(key, value) {
    try {
      if (value === null) {
        window.sessionStorage.removeItem(key);
      } else {
        window.sessionStorage.setItem(key, value);
      }
    } catch (e) {
      /* storage may be unavailable (privacy mode, quota); the chat still works */
    }
  }

  function loadOutbox() {
    var raw = storageGet(STORAGE_OUTBOX);
    if (!raw) {
      return [];
    }
    try {
      var parsed = JSON.parse(raw);
      if (!Array.isArray(parsed)) {
        return [];
      }
      return parsed.filter(function (item) {
        return item && typeof item.client_id === "string" && isValidClientId(item.client_id) &&
          typeof item.text === "string" && item.text.trim() !== "";
      });
    } catch (e) {
      return [];
    }
  }

  function saveOutbox() {
    storageSet(STORAGE_OUTBOX, state.outbox.length ? JSON.stringify(state.outbox) : null);
  }

  function removeFromOutbox(clientId) {
    var before = state.outbox.length;
    state.outbox = state.outbox.filter(function (item) {
      return item.client_id !== clientId;
    });
    if (state.outbox.length !== before) {
      saveOutbox();
    }
  }

  /* ---------------- ids ---------------- */

  function isValidClientId(id) {
    return /^[A-Za-z0-9_-]{1,64}$/.test(id);
  }

  function makeClientId() {
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

  /* ---------------- rendering ---------------- */

  function scrollToBottom() {
    var c = els.conversation;
    c.scrollTop = c.scrollHeight;
  }

  function createMessageElement(role, name, text) {
    var node;
    if (els.template && els.template.content && els.template.content.firstElementChild) {
      node = els.template.content.firstElementChild.cloneNode(true);
    } else {
      node = document.createElement("div");
      node.className = "chatboxMessage";
      var n = document.createElement("div");
      n.className = "chatSenderName";
      var m = document.createElement("div");
      m.className = "chatSenderMsg";
      node.appendChild(n);
      node.appendChild(m);
    }
    setMessageContent(node, role, name, text);
    return node;
  }

  function setMessageContent(node, role, name, text) {
    var safeRole = (role === "bot" || role === "agent" || role === "visitor") ? role : "other";
    node.classList.remove("chatboxMessage--bot", "chatboxMessage--agent", "chatboxMessage--visitor",
      "chatboxMessage--other");
    node.classList.add("chatboxMessage--" + safeRole);
    node.setAttribute("data-role", safeRole);
    // Always text, never markup.
    node.querySelector(".chatSenderName").textContent = name || "";
    node.querySelector(".chatSenderMsg").textContent = text == null ? "" : String(text);
  }

  /* Confirmed messages go before the first pending bubble, so the visitor's unacknowledged
   * messages always stay at the bottom of the conversation (in the order they were typed). */
  function insertConfirmed(node) {
    var firstPending = els.conversation.querySelector(".chatboxMessage--pending");
    if (firstPending) {
      els.conversation.insertBefore(node, firstPending);
    } else {
      els.conversation.appendChild(node);
    }
  }

  function showPending(item) {
    if (state.pending.has(item.client_id)) {
      return state.pending.get(item.client_id);
    }
    var node = createMessageElement("visitor", state.visitorName, item.text);
    node.classList.add("chatboxMessage--pending");
    node.setAttribute("data-client-id", item.client_id);
    node.setAttribute("aria-busy", "true");
    node.title = "Sending\u2026";
    els.conversation.appendChild(node);
    state.pending.set(item.client_id, node);
    scrollToBottom();
    return node;
  }

  function showNotice(text, kind) {
    var node = document.createElement("div");
    node.className = "chatboxNotice" + (kind ? " chatboxNotice--" + kind : "");
    node.textContent = text;
    els.conversation.appendChild(node);
    scrollToBottom();
  }

  function handleMessageFrame(frame) {
    if (frame.id === undefined || frame.id === null || frame.id === "") {
      return;
    }
    var id = String(frame.id);
    var sender = (frame.sender && typeof frame.sender === "object") ? frame.sender : {};
    var role = typeof sender.role === "string" ? sender.role : "other";
    var clientId = typeof frame.client_id === "string" ? frame.client_id : null;
    if (role === "visitor" && typeof sender.name === "string" && sender.name) {
      state.visitorName = sender.name;
    }

    if (state.shownIds.has(id)) {
      // Replay / duplicate: already shown.  Still clear any stale pending copy.
      if (clientId) {
        dropPending(clientId);
        removeFromOutbox(clientId);
      }
      return;
    }

    var node = null;
    if (clientId && state.pending.has(clientId)) {
      // Acknowledgement of one of our pending messages: confirm the bubble in place.
      node = state.pending.get(clientId);
      state.pending.delete(clientId);
      node.classList.remove("chatboxMessage--pending", "chatboxMessage--failed");
      node.removeAttribute("aria-busy");
      node.removeAttribute("title");
      var failedNote = node.querySelector(".chatboxMessageFailedNote");
      if (failedNote) {
        failedNote.remove();
      }
      setMessageContent(node, role, sender.name, frame.text);
    } else {
      node = createMessageElement(role, sender.name, frame.text);
      if (clientId) {
        node.setAttribute("data-client-id", clientId);
      }
      insertConfirmed(node);
    }
    if (clientId) {
      removeFromOutbox(clientId);
    }
    node.setAttribute("data-message-id", id);
    if (typeof frame.sent_at === "string" && frame.sent_at) {
      var when = new Date(frame.sent_at);
      if (!isNaN(when.getTime())) {
        node.title = when.toLocaleString();
      }
    }
    if (typeof sender.title === "string" && sender.title) {
      node.setAttribute("data-sender-title", sender.title);
    }
    state.shownIds.set(id, node);
    scrollToBottom();
  }

  function dropPending(clientId) {
    var node = state.pending.get(clientId);
    if (node) {
      state.pending.delete(clientId);
      node.remove();
    }
  }

  function handleErrorFrame(frame) {
    var detail = typeof frame.detail === "string" && frame.detail ? frame.detail :
      "Something went wrong.";
    var clientId = typeof frame.client_id === "string" ? frame.client_id : null;
    if (frame.code === "no_session") {
      // Reconnecting with the same (missing) session cookie cannot succeed.
      state.fatal = true;
    }
    if (clientId) {
      removeFromOutbox(clientId);
      var node = state.pending.get(clientId);
      if (node) {
        state.pending.delete(clientId);
        node.classList.remove("chatboxMessage--pending");
        node.classList.add("chatboxMessage--failed");
        node.removeAttribute("aria-busy");
        node.title = "Not sent";
        var note = document.createElement("div");
        note.className = "chatboxMessageFailedNote";
        note.textContent = "Not sent";
        node.appendChild(note);
      }
    }
    showNotice(detail, "error");
  }

  function handleFrame(raw) {
    if (typeof raw !== "string") {
      return;
    }
    var frame;
    try {
      frame = JSON.parse(raw);
    } catch (e) {
      return;
    }
    if (!frame || typeof frame !== "object") {
      return;
    }
    if (frame.type === "message") {
      handleMessageFrame(frame);
    } else if (frame.type === "error") {
      handleErrorFrame(frame);
    }
    // Unknown frame types are ignored.
  }

  /* ---------------- status ---------------- */

  function setStatus(text) {
    if (!els.status) {
      return;
    }
    if (text) {
      els.status.textContent = text;
      els.status.hidden = false;
    } else {
      els.status.textContent = "";
      els.status.hidden = true;
    }
  }

  /* ---------------- agent info ---------------- */

  function applyAgentInfo(info) {
    var name = typeof info.AgentName === "string" ? info.AgentName : "";
    var title = typeof info.AgentTitle === "string" ? info.AgentTitle : "";
    var thumb = typeof info.AgentThumbImagePath === "string" ? info.AgentThumbImagePath : "";
    if (name) {
      els.title.textContent = "";
      var span = document.createElement("span");
      span.textContent = "Chat with " + name;
      els.title.appendChild(span);
    }
    els.agentName.textContent = name;
    els.agentTitle.textContent = title;
    if (thumb && els.agentThumb) {
      els.agentThumb.src = thumb;
      els.agentThumb.alt = name ? name + " avatar" : "Agent avatar";
    }
  }

  function loadAgentInfo() {
    if (state.agentInfoLoaded) {
      return Promise.resolve();
    }
    if (state.agentInfoPromise) {
      return state.agentInfoPromise;
    }
    var controller = typeof AbortController === "function" ? new AbortController() : null;
    var timer = controller ? setTimeout(function () { controller.abort(); }, 8000) : null;
    state.agentInfoPromise = fetch(AGENT_INFO_URL, {
      headers: { "Accept": "application/json" },
      credentials: "same-origin",
      signal: controller ? controller.signal : undefined
    }).then(function (resp) {
      if (!resp.ok) {
        throw new Error("HTTP " + resp.status);
      }
      return resp.json();
    }).then(function (info) {
      if (info && typeof info === "object") {
        applyAgentInfo(info);
        state.agentInfoLoaded = true;
      }
    }).catch(function () {
      /* keep the defaults; retried on next open */
    }).then(function () {
      if (timer) {
        clearTimeout(timer);
      }
      state.agentInfoPromise = null;
    });
    return state.agentInfoPromise;
  }

  /* ---------------- WebSocket ---------------- */

  /* The page tells the socket where the visitor is, so the bot can answer about
   * the product on it ("how much is this?"). */
  function socketUrl() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var query = "?page=" + encodeURIComponent(window.location.pathname);
    var productId = document.body.getAttribute("data-product-id");
    if (productId) {
      query += "&product=" + encodeURIComponent(productId);
    }
    return scheme + window.location.host + WS_PATH + query;
  }

  function isSocketOpen() {
    return state.socket && state.socket.readyState === WebSocket.OPEN;
  }

  function sendFrame(item) {
    if (!isSocketOpen()) {
      return false;
    }
    try {
      state.socket.send(JSON.stringify({ type: "message", text: item.text, client_id: item.client_id }));
      return true;
    } catch (e) {
      return false;
    }
  }

  function flushOutbox() {
    // Resend everything not yet acknowledged; the server de-duplicates by client_id.
    state.outbox.slice().forEach(function (item) {
      sendFrame(item);
    });
  }

  function clearReconnectTimer() {
    if (state.reconnectTimer !== null) {
      clearTimeout(state.reconnectTimer);
      state.reconnectTimer = null;
    }
  }

  function connect() {
    clearReconnectTimer();
    if (!state.open || state.userClosed) {
      return;
    }
    if (state.fatal) {
      setStatus(TEXT_NO_SESSION);
      return;
    }
    if (state.socket && (state.socket.readyState === WebSocket.OPEN ||
        state.socket.readyState === WebSocket.CONNECTING)) {
      return;
    }
    if (state.attempt === 0) {
      setStatus(TEXT_CONNECTING);
    }
    var ws;
    try {
      ws = new WebSocket(socketUrl());
    } catch (e) {
      scheduleReconnect();
      return;
    }
    state.socket = ws;
    ws.addEventListener("open", function () {
      if (state.socket !== ws) {
        return;
      }
      setStatus(null);
      flushOutbox();
    });
    ws.addEventListener("message", function (event) {
      if (state.socket !== ws) {
        return;
      }
      // The backoff restarts only once the server really talks to us, so a server that
      // accepts and drops at once is not hammered every half second.
      state.attempt = 0;
      handleFrame(event.data);
    });
    ws.addEventListener("close", function () {
      if (state.socket !== ws) {
        return;
      }
      state.socket = null;
      if (state.fatal) {
        setStatus(TEXT_NO_SESSION);
      } else if (state.open && !state.userClosed) {
        setStatus(TEXT_RECONNECTING);
        scheduleReconnect();
      }
    });
    // "error" is always followed by "close"; nothing to do here.
  }

  function scheduleReconnect() {
    clearReconnectTimer();
    if (!state.open || state.userClosed) {
      return;
    }
    var base = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * Math.pow(2, state.attempt));
    var delay = Math.round(base * (0.75 + Math.random() * 0.5));  // +/- 25% jitter
    state.attempt = Math.min(state.attempt + 1, 20);
    state.reconnectTimer = setTimeout(connect, delay);
  }

  function reconnectSoon() {
    // Network came back or the tab became visible: don't wait out a long backoff.
    if (state.open && !state.userClosed && !state.socket) {
      state.attempt = Math.min(state.attempt, 1);
      connect();
    }
  }

  function disconnect() {
    clearReconnectTimer();
    var ws = state.socket;
    state.socket = null;
    if (ws && (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING)) {
      try {
        ws.close(1000, "Chat closed");
      } catch (e) {
        /* ignore */
      }
    }
  }

  /* ---------------- open / close ---------------- */

  function openChat(options) {
    var focus = !options || options.focus !== false;
    if (!state.open) {
      state.open = true;
      state.userClosed = false;
      state.attempt = 0;
      els.box.hidden = false;
      els.launcher.setAttribute("aria-expanded", "true");
      els.launcher.classList.add("chatboxLauncher--open");
      storageSet(STORAGE_OPEN, "1");
      // Show anything typed (and not yet acknowledged) before a navigation or reload.
      state.outbox.forEach(showPending);
      setStatus(TEXT_CONNECTING);
      // Fetch the agent info first, then connect (one round trip more, but the header is
      // filled before the greeting arrives).  connect() is a no-op if the chat was closed
      // meanwhile.
      loadAgentInfo().then(connect);
    }
    if (focus) {
      els.input.focus();
    }
  }

  function closeChat() {
    if (!state.open) {
      return;
    }
    state.open = false;
    state.userClosed = true;
    disconnect();
    setStatus(null);
    els.box.hidden = true;
    els.launcher.setAttribute("aria-expanded", "false");
    els.launcher.classList.remove("chatboxLauncher--open");
    storageSet(STORAGE_OPEN, null);
    els.launcher.focus();
  }

  function submitMessage() {
    var text = els.input.value;
    if (text.length > MAX_TEXT_LENGTH) {
      text = text.slice(0, MAX_TEXT_LENGTH);
    }
    if (text.trim() === "") {
      els.input.value = "";
      return;
    }
    text = text.trim();
    var item = { client_id: makeClientId(), text: text };
    state.outbox.push(item);
    saveOutbox();
    showPending(item);
    els.input.value = "";
    if (!sendFrame(item) && !state.socket) {
      // Not connected: it stays in the outbox and is sent on (re)connect.
      if (state.open && !state.userClosed && state.reconnectTimer === null) {
        connect();
      }
    }
  }

  /* ---------------- init ---------------- */

  function init() {
    els.box = document.getElementById("chatbox");
    els.launcher = document.getElementById("chatboxLauncher");
    if (!els.box || !els.launcher) {
      return;
    }
    els.title = document.getElementById("chatboxTitle");
    els.close = document.getElementById("chatboxCloseControl");
    els.conversation = document.getElementById("chatboxConversationContainer");
    els.form = document.getElementById("chatboxMsgInputContainer");
    els.input = document.getElementById("chatboxInputField");
    els.send = document.getElementById("chatboxSendButton");
    els.status = document.getElementById("chatboxStatus");
    els.template = document.getElementById("chatboxMessageTemplate");
    els.agentName = els.box.querySelector(".chatboxAgentName");
    els.agentTitle = els.box.querySelector(".chatboxAgentTitle");
    els.agentThumb = els.box.querySelector(".chatboxAgentThumbnail img");

    state.outbox = loadOutbox();

    els.launcher.addEventListener("click", function () {
      openChat({ focus: true });
    });
    els.close.addEventListener("click", closeChat);
    if (els.form && els.form.tagName === "FORM") {
      els.form.addEventListener("submit", function (event) {
        event.preventDefault();
        submitMessage();
      });
    } else {
      els.input.addEventListener("keydown", function (event) {
        if (event.key === "Enter" && !event.isComposing) {
          event.preventDefault();
          submitMessage();
        }
      });
      if (els.send) {
        els.send.addEventListener("click", submitMessage);
      }
    }
    els.box.addEventListener("keydown", function (event) {
      if (event.key === "Escape") {
        event.preventDefault();
        closeChat();
      }
    });
    window.addEventListener("online", reconnectSoon);
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "visible") {
        reconnectSoon();
      }
    });
    window.addEventListener("pagehide", function () {
      // Leaving the page: close quietly (no reconnect from a page being unloaded).
      if (state.socket) {
        var ws = state.socket;
        state.socket = null;
        clearReconnectTimer();
        try {
          ws.close(1000, "Page unloaded");
        } catch (e) {
          /* ignore */
        }
      }
    });
    window.addEventListener("pageshow", function (event) {
      // Restored from the back/forward cache: reconnect if the chat is open.
      if (event.persisted && state.open && !state.userClosed) {
        state.attempt = 0;
        connect();
      }
    });

    if (storageGet(STORAGE_OPEN) === "1") {
      openChat({ focus: false });
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
