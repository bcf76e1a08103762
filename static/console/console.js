/*
 * Staff console (vanilla JS, no dependencies, no build step).
 *
 * One socket, /ws/staff/, carries everything, so the page never polls and never reloads.
 * Frames it reads, and why it needs them:
 *   hello          who "me" is (ownership decides which buttons work), whether I accept chats,
 *                  and how often to send heartbeats: presence expires unless renewed.
 *   presence       who else is here: the only agents a conversation can be transferred to.
 *   conversations  the first page of the list on (re)connect: it replaces whatever we knew,
 *                  since we may have missed changes while disconnected; and the pages we ask
 *                  for with "list" (a filter, a search, older conversations).
 *   filters        the labels and agents the list can be filtered by (labels: a name and a
 *                  colour, shown as a swatch beside the name).
 *   conversation   one row changed: rows move between the state groups, and a row that turns
 *                  "waiting" is announced because a visitor is now waiting for a person.
 *                  A closed row may carry the visitor's rating, shown as "Rated 4/5".
 *                  "listed" says whether the row belongs in the list as filtered now: rows
 *                  that do not are still known (alerts, the open conversation), not shown.
 *   opened         the answer to "open": the history (then unsent bot suggestions) of the one
 *                  conversation the server now streams to us.  The server joins the live group
 *                  before reading the history, so a message may come both in the history and
 *                  live: every message is keyed by its id and shown once.
 *   message        live messages of the open conversation, including our own: ours are shown
 *                  at once as pending (keyed by client_id) and confirmed by the echo, so the
 *                  agent sees what they sent even while the socket is down; unconfirmed ones
 *                  are resent after a reconnect and the server stores each client_id once.
 *   suggestion     side-kick answers for the agent to send or edit; never seen by visitors.
 *   typing         the visitor types.  It has no "stop" guarantee (tabs close), hence the timeout.
 *   error          a refused action, e.g. "taken" when another agent was quicker.
 *   note           a private note of the open conversation (staff only), ours confirmed by it.
 * "conversations" also carries "seen" (how far this agent has seen each conversation), and every
 * row "visitor_messages" (how many the visitor wrote): the list's unread counts.
 * Frames it sends: open, take, hand_back, transfer, close, sidekick, message, typing (throttled,
 * so a fast typist does not flood the visitor), accepting, heartbeat, note, seen, label, list.
 *
 * All text from the server or visitors goes into the page with textContent, never as markup.
 */
import {
  config,
  makeClientId,
  outbox,
  reconnectingSocket,
  retryAfterMs,
  siteSocketUrl,
  str,
  typingNotifier,
} from "../chat/common.js";
import { desktopAlerts } from "./alerts.js";
import { cannedComposer, cannedManager } from "./canned.js";

var WS_PATH = config.socket_path;
var FORBIDDEN_CLOSE_CODE = 4003;
var VISITOR_TYPING_TTL_MS = 6000;  // the visitor's indicator dies without news
var TIMES_REFRESH_MS = 30000;
var NOTICE_INFO_MS = 6000;
var NOTICE_ERROR_MS = 20000;
var MAX_TEXT_LENGTH = config.max_text_length;
var NEAR_BOTTOM_PX = 80;

var GROUPS = ["waiting", "agent", "bot", "closed"];
var STATE_LABELS = {
  waiting: "Waiting for a person",
  agent: "With an agent",
  bot: "With the bot",
  closed: "Closed"
};
var ROLE_LABELS = { visitor: "Visitor", bot: "Bot", agent: "Agent", system: "Notice" };
var ERROR_TEXTS = {
  taken: "Someone else joined this conversation first.",
  not_yours: "This conversation is not yours: take it first.",
  not_found: "There is no such conversation.",
  agent_unavailable: "That agent is not available any more.",
  forbidden: "You are not allowed to chat with visitors. Log in again as an agent."
};

var els = {};
var state = {
  fatal: false,            // the server refused us: retrying cannot help
  ready: false,            // hello received on the current socket
  me: null,                // {id, name, title} from hello; kept while reconnecting
  agents: [],              // present agents, from presence
  summaries: new Map(),    // conversation id -> summary
  rows: new Map(),         // conversation id -> <li> holding the row button
  fresh: new Set(),        // newly waiting, not yet opened: highlighted
  listLoaded: false,
  alertTarget: null,
  alertDismissed: false,
  requestedId: null,       // the conversation we want open (survives reconnects)
  openId: null,            // the conversation the panel shows
  shown: new Map(),        // message id -> row element, for the open conversation
  pending: outbox(),       // of {client_id, conversation, text, suggestion, node, sentOn}
  suggestions: new Map(),  // suggestion id -> {element, text, sending}
  editing: null,           // {id, conversation}: the suggestion being edited in the composer
  drafts: new Map(),       // conversation id -> unsent text, kept when switching
  tookId: null,            // focus the composer once this conversation becomes mine
  visitorTypingTimer: null,
  stickToBottom: true,     // the agent reads the newest messages: keep them in view
  noticeTimer: null,
  baseTitle: ""
};

// Whether this agent is typing, told to the visitor of the conversation typed into; once
// the conversation is no longer theirs, the server would refuse the frame.
var typing = typingNotifier(function (active, conversation) {
  if (active) {
    return isConnected() && send({ type: "typing", conversation: conversation, active: true });
  }
  return isMine(state.summaries.get(conversation)) &&
    send({ type: "typing", conversation: conversation, active: false });
});

/* ---------------- small helpers ---------------- */

function isObject(value) {
  return value !== null && typeof value === "object";
}

function isId(value) {
  return typeof value === "number" && value > 0 && Math.floor(value) === value;
}

/* Only site-relative paths become links: a page value must never send staff elsewhere. */
function safePath(value) {
  return typeof value === "string" && /^\/(?!\/)[\x21-\x7e]*$/.test(value) ? value : "";
}

function parseDate(value) {
  var date = new Date(str(value));
  return isNaN(date.getTime()) ? null : date;
}

function clockTime(date) {
  return date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

function shortTime(date, now) {
  var seconds = (now.getTime() - date.getTime()) / 1000;
  if (seconds < 45) {
    return "just now";
  }
  if (seconds < 3600) {
    return Math.max(1, Math.round(seconds / 60)) + " min ago";
  }
  if (date.toDateString() === now.toDateString()) {
    return clockTime(date);
  }
  return date.toLocaleDateString([], { day: "numeric", month: "short" }) + ", " + clockTime(date);
}

function setTime(node, value) {
  var date = parseDate(value);
  if (!date) {
    node.textContent = "";
    node.removeAttribute("datetime");
    node.removeAttribute("title");
    return;
  }
  node.setAttribute("datetime", date.toISOString());
  node.title = date.toLocaleString();
  node.textContent = shortTime(date, new Date());
}

function el(tag, className, text) {
  var node = document.createElement(tag);
  if (className) {
    node.className = className;
  }
  if (text !== undefined && text !== null) {
    node.textContent = text;
  }
  return node;
}

function link(text, href) {
  var a = el("a", null, text);
  a.href = href;
  a.target = "_blank";
  a.rel = "noopener";
  return a;
}

/* ---------------- socket ---------------- */

function isConnected() {
  return state.ready && socket.isOpen();
}

function send(frame) {
  return socket.send(frame);
}

function setConnection(kind, text) {
  els.connection.setAttribute("data-state", kind);
  els.connection.textContent = text;
}

// The console's socket: it comes back by itself after a drop, unless refused.
var socket = reconnectingSocket({
  url: function () {
    return siteSocketUrl(WS_PATH);
  },
  onConnecting: function (attempt) {
    setConnection(attempt === 0 ? "connecting" : "reconnecting",
      attempt === 0 ? "Connecting\u2026" : "Reconnecting\u2026");
  },
  onFrame: handleFrame,
  onClose: function (event) {
    state.ready = false;
    stopTyping(false);
    if (event.code === FORBIDDEN_CLOSE_CODE) {
      state.fatal = true;
    }
    updateControls();
    if (state.fatal) {
      setConnection("forbidden", "Not connected: log in again as an agent.");
      return "stop";
    }
    return "later";
  },
  onRetry: function (delay) {
    setConnection("reconnecting", "Connection lost. Reconnecting in " +
      Math.max(1, Math.round(delay / 1000)) + " s\u2026");
  }
});

function connect() {
  if (!state.fatal) {
    socket.connect();
  }
}

function reconnectSoon() {
  // Network back or tab visible again: no need to sit out a long backoff.
  if (!state.fatal) {
    socket.soon();
  }
}

function handleFrame(frame) {
  switch (frame.type) {
    case "hello": handleHello(frame); break;
    case "presence": handlePresence(frame); break;
    case "conversations": handleConversationsPage(frame); break;
    case "conversation": handleConversation(frame); break;
    case "filters": handleFilters(frame); break;
    case "opened": handleOpened(frame); break;
    case "message": handleMessage(frame); break;
    case "suggestion": handleSuggestion(frame); break;
    case "typing": handleTyping(frame); break;
    case "note": handleNote(frame); break;
    case "error": noteRefused(frame); listRefused(frame); handleError(frame); break;
    default: break;  // unknown frames are ignored: a newer server may say more
  }
}

/* ---------------- hello, presence, accepting ---------------- */

function handleHello(frame) {
  if (!isObject(frame.me) || !isId(frame.me.id)) {
    return;
  }
  state.me = { id: frame.me.id, name: str(frame.me.name), title: str(frame.me.title) };
  state.ready = true;
  // The server really talks to us: the next drop starts the backoff afresh.
  socket.live();
  els.accepting.checked = frame.accepting !== false;
  setConnection("open", "Connected as " + (state.me.name || "agent") +
    (state.me.title ? " (" + state.me.title + ")" : ""));

  var seconds = typeof frame.heartbeat_seconds === "number" ? frame.heartbeat_seconds : 20;
  socket.heartbeat(Math.max(1, seconds) * 1000, { type: "heartbeat" });

  // Back after a drop: the server forgot what we had open.
  var target = state.requestedId !== null ? state.requestedId : state.openId;
  if (target !== null) {
    state.requestedId = target;
    send({ type: "open", conversation: target });
  }
  updateControls();
  renderPresence();
  refreshRows();
}

function handlePresence(frame) {
  if (!Array.isArray(frame.agents)) {
    return;
  }
  state.agents = frame.agents.filter(function (agent) {
    return isObject(agent) && isId(agent.id);
  });
  var mine = null;
  state.agents.forEach(function (agent) {
    if (state.me && agent.id === state.me.id) {
      mine = agent;
    }
  });
  if (mine && typeof mine.accepting === "boolean") {
    // Another console of mine may have switched it.
    els.accepting.checked = mine.accepting;
  }
  renderPresence();
  updateControls();
}

function renderPresence() {
  var list = els.presence;
  list.textContent = "";
  if (!state.agents.length) {
    list.appendChild(el("li", "consoleEmpty", "Nobody yet."));
  }
  state.agents.forEach(function (agent) {
    var item = el("li", "consolePresenceAgent");
    item.setAttribute("data-agent-id", String(agent.id));
    item.setAttribute("data-accepting", agent.accepting ? "true" : "false");
    var isMe = state.me && agent.id === state.me.id;
    item.appendChild(el("span", "consolePresenceName", str(agent.name) + (isMe ? " (you)" : "")));
    if (str(agent.title)) {
      item.appendChild(el("span", "consolePresenceTitle", str(agent.title)));
    }
    item.appendChild(el("span", "consolePresenceStatus",
      agent.accepting ? "accepting chats" : "not accepting chats"));
    list.appendChild(item);
  });

  // Transfer targets: present agents other than me; keep the choice if still possible.
  var select = els.transferSelect;
  var chosen = select.value;
  while (select.options.length > 1) {
    select.remove(1);
  }
  state.agents.forEach(function (agent) {
    if (state.me && agent.id === state.me.id) {
      return;
    }
    var label = str(agent.name) + (str(agent.title) ? " (" + str(agent.title) + ")" : "") +
      (agent.accepting ? "" : ", not accepting chats");
    var option = new Option(label, String(agent.id));
    select.appendChild(option);
  });
  select.value = chosen;
  if (select.value !== chosen) {
    select.value = "";
  }
}

/* ---------------- the conversation list ---------------- */

function validSummary(summary) {
  return isObject(summary) && isId(summary.id) && typeof summary.state === "string";
}

function groupOf(summary) {
  return GROUPS.indexOf(summary.state) >= 0 ? summary.state : "closed";
}

function isMine(summary) {
  return !!(summary && state.me && summary.state === "agent" && isObject(summary.agent) &&
    summary.agent.id === state.me.id);
}

/* Store a summary; returns true when it has just started waiting for a person. */
function upsert(summary) {
  var before = state.summaries.get(summary.id);
  state.summaries.set(summary.id, summary);
  var becameWaiting = summary.state === "waiting" && (!before || before.state !== "waiting");
  if (summary.state !== "waiting") {
    state.fresh.delete(summary.id);
  }
  var item = state.rows.get(summary.id);
  if (!item) {
    item = createRow(summary.id);
    state.rows.set(summary.id, item);
  }
  updateRow(item, summary);
  return becameWaiting;
}

function createRow(id) {
  var item = el("li", "consoleRowItem");
  var button = el("button", "consoleRow");
  button.type = "button";
  button.setAttribute("data-conversation-id", String(id));
  var top = el("span", "consoleRowTop");
  top.appendChild(el("span", "consoleRowId", "#" + id));
  top.appendChild(el("span", "consoleRowAgent"));
  top.appendChild(el("span", "consoleRowRating"));
  top.appendChild(el("time", "consoleRowTime"));
  button.appendChild(top);
  button.appendChild(el("span", "consoleRowText"));
  button.appendChild(el("span", "consoleRowPlace"));
  item.appendChild(button);
  return item;
}

function updateRow(item, summary) {
  var button = item.firstChild;
  button.setAttribute("data-state", summary.state);
  button.classList.toggle("consoleRow--fresh", state.fresh.has(summary.id));
  button.classList.toggle("consoleRow--mine", isMine(summary));
  if (summary.id === state.openId) {
    button.setAttribute("aria-current", "true");
  } else {
    button.removeAttribute("aria-current");
  }
  var agent = button.querySelector(".consoleRowAgent");
  if (isObject(summary.agent)) {
    agent.textContent = str(summary.agent.name) +
      (state.me && summary.agent.id === state.me.id ? " (you)" : "");
    agent.hidden = false;
  } else {
    agent.textContent = "";
    agent.hidden = true;
  }
  var rated = ratingText(summary.rating);
  var ratingNode = button.querySelector(".consoleRowRating");
  ratingNode.textContent = rated;
  ratingNode.hidden = !rated;
  setTime(button.querySelector(".consoleRowTime"), summary.last_message_at);
  var text = str(summary.last_text);
  var role = ROLE_LABELS[summary.last_role] || "";
  button.querySelector(".consoleRowText").textContent = text ?
    (role ? role + ": " : "") + text : "No messages yet";
  var place = "";
  if (isObject(summary.product) && str(summary.product.name)) {
    place = summary.product.name;
  } else if (str(summary.page)) {
    place = summary.page;
  }
  var placeNode = button.querySelector(".consoleRowPlace");
  placeNode.textContent = place;
  placeNode.hidden = !place;
  renderUnread(item, summary);
  renderRowLabels(button, summary);
}

/* ---------------- the visitor's rating of a closed chat ---------------- */

/* "Rated 4/5" for a summary's rating ({score, comment, rated_at} or null), else "". */
function ratingText(rating) {
  if (!isObject(rating) || typeof rating.score !== "number") {
    return "";
  }
  return "Rated " + rating.score + "/5";
}

function renderRating(rating) {
  var rated = ratingText(rating);
  var comment = rated ? str(rating.comment) : "";
  els.ratingLine.textContent = rated ? rated + (comment ? ": \u201c" + comment + "\u201d" : "") : "";
  els.ratingLine.hidden = !rated;
}

function refreshRows() {
  state.summaries.forEach(function (summary, id) {
    var item = state.rows.get(id);
    if (item) {
      updateRow(item, summary);
    }
  });
}

function byNewestActivity(a, b) {
  var ta = Date.parse(a.last_message_at) || 0;
  var tb = Date.parse(b.last_message_at) || 0;
  return tb - ta || b.id - a.id;
}

/* Put every row in its group, newest first, moving only rows that are out of place so
 * that keyboard focus and scroll positions survive live updates. */
function renderGroups() {
  var focused = document.activeElement;
  var byGroup = {};
  GROUPS.forEach(function (group) {
    byGroup[group] = [];
  });
  state.summaries.forEach(function (summary) {
    if (!isListed(summary.id)) {
      unlistRow(summary.id);
      return;
    }
    byGroup[groupOf(summary)].push(summary);
  });
  GROUPS.forEach(function (group) {
    var parts = els.groups[group];
    var items = byGroup[group].sort(byNewestActivity);
    items.forEach(function (summary, index) {
      var item = state.rows.get(summary.id);
      var current = parts.list.children[index] || null;
      if (current !== item) {
        parts.list.insertBefore(item, current);
      }
    });
    parts.count.textContent = String(items.length);
    parts.empty.hidden = items.length > 0;
  });
  if (focused && focused !== document.activeElement && document.body.contains(focused)) {
    focused.focus({ preventScroll: true });
  }
  renderListStatus();
}

function removeConversation(id) {
  state.summaries.delete(id);
  state.fresh.delete(id);
  var item = state.rows.get(id);
  if (item) {
    item.remove();
    state.rows.delete(id);
  }
}

function handleConversations(frame) {
  if (!Array.isArray(frame.conversations)) {
    return;
  }
  applySeen(frame.seen);
  var incoming = frame.conversations.filter(validSummary);
  var keep = new Set(incoming.map(function (summary) { return summary.id; }));
  Array.from(state.summaries.keys()).forEach(function (id) {
    // The open one may have fallen off the server's list; its panel still needs it.
    if (!keep.has(id) && id !== state.openId) {
      removeConversation(id);
    }
  });
  var announce = state.listLoaded;  // not on first load: nothing "became" waiting then
  var newlyWaiting = [];
  incoming.forEach(function (summary) {
    if (upsert(summary) && announce) {
      newlyWaiting.push(summary.id);
    }
  });
  state.listLoaded = true;
  afterListChange(newlyWaiting, !announce);
}

function handleConversation(frame) {
  var summary = {};
  Object.keys(frame).forEach(function (key) {
    if (key !== "type") {
      summary[key] = frame[key];
    }
  });
  if (!validSummary(summary)) {
    return;
  }
  noteListed(summary);
  var before = state.summaries.get(summary.id);
  // Read before the panel updates, which forgets my take once the conversation shows as mine.
  var given = !isMine(before) && state.tookId !== summary.id;
  var newlyWaiting = upsert(summary) ? [summary.id] : [];
  visitorWroteIn(before, summary);
  afterListChange(newlyWaiting, false);
  noticeIfGiven(given, summary);
}

/* Auto-assignment (or a colleague's transfer) made a conversation mine without my taking it:
 * say so, since nothing else draws the eye to a row that merely moved groups. */
function noticeIfGiven(given, summary) {
  if (given && isMine(summary)) {
    showNotice("Conversation #" + summary.id + " is yours now: open it to answer.", "info");
  }
}

function afterListChange(newlyWaiting, firstLoad) {
  newlyWaiting.forEach(function (id) {
    if (id !== state.openId) {
      state.fresh.add(id);
      var item = state.rows.get(id);
      if (item) {
        item.firstChild.classList.add("consoleRow--fresh");
      }
    }
  });
  renderGroups();
  updateWaiting(newlyWaiting, firstLoad);
  alertWaiting(newlyWaiting, firstLoad);
  var open = state.openId !== null ? state.summaries.get(state.openId) : null;
  if (open) {
    renderPanelSummary(open);
  }
}

/* ---------------- waiting: title and alert ---------------- */

function waitingSummaries() {
  var list = [];
  state.summaries.forEach(function (summary) {
    if (summary.state === "waiting") {
      list.push(summary);
    }
  });
  return list.sort(byNewestActivity);
}

function updateWaiting(newlyWaiting, firstLoad) {
  var waiting = waitingSummaries();
  document.title = waiting.length ?
    "(" + waiting.length + " waiting) " + state.baseTitle : state.baseTitle;
  if (!waiting.length) {
    hideAlert();
    return;
  }
  if (newlyWaiting.length) {
    state.alertDismissed = false;
    state.alertTarget = newlyWaiting[newlyWaiting.length - 1];
  } else if (!firstLoad && els.alert.hidden) {
    return;  // nothing new, and the alert is dismissed or was never needed
  }
  if (state.alertDismissed) {
    return;
  }
  var target = state.summaries.get(state.alertTarget);
  if (!target || target.state !== "waiting") {
    target = waiting[0];
    state.alertTarget = target.id;
  }
  var place = isObject(target.product) && str(target.product.name) ?
    " (on " + target.product.name + ")" : "";
  var text = waiting.length === 1 ?
    "A visitor is waiting for a person: conversation #" + target.id + place + "." :
    waiting.length + " visitors are waiting for a person. Newest: conversation #" +
      target.id + place + ".";
  els.alertText.textContent = text;
  els.alert.hidden = false;
}

function hideAlert() {
  els.alert.hidden = true;
  els.alertText.textContent = "";
  state.alertTarget = null;
}

/* ---------------- notices ---------------- */

function showNotice(text, kind) {
  if (state.noticeTimer !== null) {
    clearTimeout(state.noticeTimer);
  }
  els.noticeText.textContent = text;
  els.notice.setAttribute("data-kind", kind || "info");
  els.notice.hidden = false;
  state.noticeTimer = setTimeout(hideNotice, kind === "error" ? NOTICE_ERROR_MS : NOTICE_INFO_MS);
}

function hideNotice() {
  if (state.noticeTimer !== null) {
    clearTimeout(state.noticeTimer);
    state.noticeTimer = null;
  }
  els.notice.hidden = true;
  els.noticeText.textContent = "";
}

/* ---------------- the open conversation ---------------- */

function openConversation(id) {
  if (!isId(id)) {
    return;
  }
  if (state.openId !== null && state.openId !== id) {
    stopTyping(true);
  }
  state.requestedId = id;
  if (state.openId !== id) {
    els.panel.setAttribute("aria-busy", "true");
    els.panelTitle.textContent = "Conversation #" + id;
  }
  if (!send({ type: "open", conversation: id })) {
    // Not connected: hello opens it once we are.
    showNotice("Not connected: conversation #" + id + " opens when the connection is back.",
      "info");
  }
}

function clearPanelContent() {
  els.messages.textContent = "";
  state.shown = new Map();
  state.pending.items().forEach(function (item) {
    item.node = null;
  });
  els.suggestions.textContent = "";
  state.suggestions = new Map();
  els.suggestionsBox.hidden = true;
  hideVisitorTyping();
}

function handleOpened(frame) {
  var summary = frame.conversation;
  if (!validSummary(summary)) {
    return;
  }
  if (state.requestedId !== null && summary.id !== state.requestedId) {
    return;  // the answer to an earlier click; a newer "opened" follows
  }
  var same = state.openId === summary.id;
  if (!same) {
    if (state.openId !== null) {
      state.drafts.set(state.openId, els.input.value);
    }
    clearPanelContent();
    els.input.value = state.drafts.get(summary.id) || "";
    if (state.editing && state.editing.conversation !== summary.id) {
      clearEditing();
    }
  } else {
    // The server's list of unsent suggestions is the truth; keep only ones being sent.
    state.suggestions.forEach(function (entry, id) {
      if (!entry.sending) {
        entry.element.remove();
        state.suggestions.delete(id);
      }
    });
  }
  state.openId = summary.id;
  state.requestedId = summary.id;
  state.fresh.delete(summary.id);
  upsert(summary);
  renderGroups();
  updateWaiting([], false);

  (Array.isArray(frame.frames) ? frame.frames : []).forEach(function (item) {
    if (isObject(item)) {
      handleFrame(item);
    }
  });
  flushPending(summary.id);
  afterOpened(frame, summary);

  els.panel.setAttribute("data-open", "true");
  els.panel.removeAttribute("aria-busy");
  renderPanelSummary(summary);
  refreshRows();
  scrollToBottom(true);
}

function renderPanelSummary(summary) {
  els.panelTitle.textContent = "Conversation #" + summary.id;
  els.state.hidden = false;
  els.state.setAttribute("data-state", summary.state);
  els.state.textContent = STATE_LABELS[summary.state] || summary.state;

  if (isObject(summary.agent)) {
    var you = state.me && summary.agent.id === state.me.id;
    els.agentLine.textContent = "Answered by " + (you ? "you, " : "") + str(summary.agent.name) +
      (str(summary.agent.title) ? " (" + summary.agent.title + ")" : "");
    els.agentLine.hidden = false;
  } else {
    els.agentLine.textContent = "";
    els.agentLine.hidden = true;
  }

  renderRating(summary.rating);
  renderPanelLabels(summary);

  var where = els.visitorPage;
  where.textContent = "";
  var product = isObject(summary.product) ? summary.product : null;
  var page = str(summary.page);
  if (!product && !page) {
    where.textContent = "The visitor's page is not known.";
  } else {
    where.appendChild(document.createTextNode("Visitor's page: "));
    if (product && str(product.name)) {
      var productPath = safePath(product.url);
      where.appendChild(productPath ? link(product.name, productPath) :
        el("span", null, product.name));
    }
    if (page && (!product || page !== product.url)) {
      if (product) {
        where.appendChild(document.createTextNode(" \u00b7 "));
      }
      var pagePath = safePath(page);
      where.appendChild(pagePath ? link(page, pagePath) : el("span", null, page));
    }
  }

  els.sidekick.checked = summary.sidekick === true;

  if (state.tookId === summary.id && isMine(summary)) {
    state.tookId = null;
    updateControls();
    els.input.focus();
    return;
  }
  if (!isMine(summary)) {
    stopTyping(false);
  }
  updateControls();
}

function updateControls() {
  var summary = state.openId !== null ? state.summaries.get(state.openId) : null;
  var connected = isConnected();
  var mine = isMine(summary);
  var takeable =
    !!summary &&
    (summary.state === "bot" ||
      summary.state === "waiting" ||
      // People take conversations over from bot apps as they do from the site's bot.
      (summary.state === "agent" && isObject(summary.agent) && summary.agent.is_bot === true));
  var unassigned = !!summary && summary.state !== "closed" && !isObject(summary.agent);

  els.take.disabled = !(connected && takeable);
  els.handBack.disabled = !(connected && mine);
  els.transferSelect.disabled = !(connected && mine && els.transferSelect.options.length > 1);
  els.transfer.disabled = !(connected && mine && els.transferSelect.value !== "");
  els.close.disabled = !(connected && (mine || unassigned));
  els.sidekick.disabled = !(connected && !!summary && summary.state !== "closed");
  els.accepting.disabled = !connected;

  // The composer follows ownership, not the connection: what is typed while the socket
  // is down waits as pending and goes out once it is back.
  els.input.disabled = !mine;
  els.send.disabled = !mine;
  var placeholder = "Write to the visitor\u2026";
  if (!summary) {
    placeholder = "Open a conversation first";
  } else if (summary.state === "closed") {
    placeholder = "This conversation is closed";
  } else if (!mine && isObject(summary.agent)) {
    placeholder = str(summary.agent.name) + " is answering this conversation";
  } else if (!mine) {
    placeholder = "Take the conversation to answer";
  }
  els.input.placeholder = placeholder;

  state.suggestions.forEach(function (entry) {
    entry.element.querySelector(".consoleSuggestionSend").disabled = !mine;
    entry.element.querySelector(".consoleSuggestionEdit").disabled = !mine;
  });
  updateNoteControls();
  updateLabelControls(connected, summary);
}

/* ---------------- messages ---------------- */

function isNearBottom() {
  var box = els.messages;
  return box.scrollHeight - box.scrollTop - box.clientHeight < NEAR_BOTTOM_PX;
}

function scrollToBottom(force) {
  if (force || state.stickToBottom) {
    els.messages.scrollTop = els.messages.scrollHeight;
  }
}

function safeRole(role) {
  return ROLE_LABELS[role] ? role : "system";
}

function fillMessage(row, role, sender, text, sentAt) {
  row.className = "consoleMessageRow consoleMessageRow--" + role;
  row.removeAttribute("aria-busy");
  row.textContent = "";
  var date = parseDate(sentAt);
  if (role !== "system") {
    var name = str(sender.name) || ROLE_LABELS[role];
    var meta = el("div", "consoleMessageMeta");
    meta.appendChild(el("span", "consoleMessageSender",
      name + (str(sender.title) ? " (" + sender.title + ")" : "")));
    if (date) {
      var time = el("time", "consoleMessageTime", clockTime(date));
      time.setAttribute("datetime", date.toISOString());
      time.title = date.toLocaleString();
      meta.appendChild(time);
    }
    row.appendChild(meta);
  }
  // The message element holds the text alone, so that what it "says" is exactly the message.
  var body = el("div", "consoleMessage", text);
  body.setAttribute("data-role", role);
  if (date && role === "system") {
    body.title = date.toLocaleString();
  }
  row.appendChild(body);
  return body;
}

/* What the visitor was offered with a bot app's message (its text and buttons), and which
 * button a visitor's message pressed: shown to agents as plain text, never as live controls,
 * so that taking over a conversation shows what the visitor saw. */
function appendRichContent(row, frame) {
  if (Array.isArray(frame.attachments)) {
    frame.attachments.slice(0, config.max_attachments).forEach(function (attachment) {
      if (!isObject(attachment)) {
        return;
      }
      var block = el("div", "consoleAttachment");
      if (str(attachment.text)) {
        block.appendChild(el("div", "consoleAttachmentText", str(attachment.text)));
      }
      var actions = Array.isArray(attachment.actions) ? attachment.actions.slice(0, config.max_actions) : [];
      var list = el("ul", "consoleActions");
      actions.forEach(function (action) {
        if (!isObject(action) || !str(action.text)) {
          return;
        }
        var detail = action.type === "link" ? str(action.link) : str(action.value);
        list.appendChild(el("li", "consoleAction consoleAction--" + safeActionType(action.type),
          str(action.text) + (detail ? " \u2192 " + detail : "")));
      });
      if (list.childElementCount) {
        block.appendChild(list);
      }
      if (block.childElementCount) {
        row.appendChild(block);
      }
    });
  }
  if (str(frame.response_value)) {
    row.appendChild(el("div", "consoleResponseValue", "pressed: " + str(frame.response_value)));
  }
}

function safeActionType(type) {
  return type === "link" ? "link" : "button";
}

/* Confirmed messages go above our pending ones, which stay last in the order typed. */
function insertConfirmed(row) {
  var firstPending = els.messages.querySelector(".consoleMessageRow--pending");
  els.messages.insertBefore(row, firstPending);
}

function handleMessage(frame) {
  if (frame.conversation !== state.openId || frame.id === undefined || frame.id === null) {
    return;
  }
  var id = String(frame.id);
  var clientId = typeof frame.client_id === "string" ? frame.client_id : null;
  var sender = isObject(frame.sender) ? frame.sender : {};
  var role = safeRole(sender.role);
  var pending = clientId ? state.pending.get(clientId) : null;
  if (pending && pending.conversation !== frame.conversation) {
    pending = null;
  }
  state.stickToBottom = isNearBottom() || !!pending;

  if (state.shown.has(id)) {
    if (pending) {
      settlePending(clientId, true);
    }
    return;
  }
  var row;
  if (pending && pending.node) {
    row = pending.node;
  } else {
    row = el("li");
    insertConfirmed(row);
  }
  if (pending) {
    settlePending(clientId, false);
  }
  var body = fillMessage(row, role, sender, str(frame.text), frame.sent_at);
  appendRichContent(row, frame);
  body.setAttribute("data-id", id);
  if (clientId) {
    body.setAttribute("data-client-id", clientId);
  }
  state.shown.set(id, row);
  if (role === "visitor") {
    hideVisitorTyping();
  }
  scrollToBottom(false);
}

/* Our message is stored: forget it, drop its bubble if the stored copy shows elsewhere, and
 * take its suggestion (if any) off the list for good. */
function settlePending(clientId, dropNode) {
  var item = state.pending.remove(clientId);
  if (!item) {
    return;
  }
  if (dropNode && item.node) {
    item.node.remove();
  }
  if (item.suggestion) {
    removeSuggestion(item.suggestion);
  }
}

function pendingNode(item) {
  var row = el("li");
  fillMessage(row, "agent", { name: state.me ? state.me.name : "You" }, item.text, null);
  row.classList.add("consoleMessageRow--pending");
  row.setAttribute("aria-busy", "true");
  row.querySelector(".consoleMessageMeta").appendChild(
    el("span", "consoleMessageState", "sending\u2026"));
  row.querySelector(".consoleMessage").setAttribute("data-client-id", item.client_id);
  return row;
}

function sendPending(item) {
  var frame = { type: "message", conversation: item.conversation, text: item.text,
    client_id: item.client_id };
  if (item.suggestion) {
    frame.suggestion = item.suggestion;
  }
  if (isConnected() && send(frame)) {
    item.sentOn = socket.current();
  }
}

/* After (re)opening: show our unconfirmed messages again and resend those this socket has
 * not carried; the server stores each client_id once, so a resend is never a duplicate. */
function flushPending(conversationId) {
  state.pending.items().forEach(function (item) {
    if (item.conversation !== conversationId) {
      return;
    }
    if (!item.node) {
      item.node = pendingNode(item);
      els.messages.appendChild(item.node);
    }
    if (item.suggestion) {
      hideSuggestion(item.suggestion);
    }
    if (item.sentOn !== socket.current()) {
      sendPending(item);
    }
  });
}

function postMessage(conversationId, text, suggestionId) {
  var item = {
    conversation: conversationId,
    text: text,
    client_id: makeClientId(),
    suggestion: suggestionId || null,
    node: null,
    sentOn: null
  };
  state.pending.add(item);
  item.node = pendingNode(item);
  els.messages.appendChild(item.node);
  if (item.suggestion) {
    hideSuggestion(item.suggestion);
  }
  scrollToBottom(true);
  sendPending(item);
}

function failPending(clientId, reason) {
  var item = state.pending.remove(clientId);
  if (!item) {
    return;
  }
  if (item.suggestion) {
    showSuggestionAgain(item.suggestion);
  }
  if (item.node) {
    item.node.classList.remove("consoleMessageRow--pending");
    item.node.classList.add("consoleMessageRow--failed");
    item.node.removeAttribute("aria-busy");
    var note = item.node.querySelector(".consoleMessageState");
    if (note) {
      note.textContent = "not sent: " + reason;
    }
  }
  // Give the words back, so that nothing typed is lost.
  if (item.conversation === state.openId && els.input.value === "") {
    els.input.value = item.text;
  }
}

/* ---------------- suggestions ---------------- */

function handleSuggestion(frame) {
  if (frame.conversation !== state.openId || typeof frame.id !== "string") {
    return;
  }
  var id = frame.id;
  var text = str(frame.text);
  if (state.suggestions.has(id) || !text) {
    return;
  }
  var item = el("li", "consoleSuggestion");
  item.setAttribute("data-suggestion-id", id);
  item.appendChild(el("p", "consoleSuggestionText", text));
  var actions = el("div", "consoleSuggestionActions");
  var sendButton = el("button", "consoleButton consoleButton--primary consoleSuggestionSend",
    "Send");
  sendButton.type = "button";
  sendButton.appendChild(el("span", "consoleVisuallyHidden", " this suggestion"));
  var editButton = el("button", "consoleButton consoleSuggestionEdit", "Edit");
  editButton.type = "button";
  editButton.appendChild(el("span", "consoleVisuallyHidden", " this suggestion"));
  actions.appendChild(sendButton);
  actions.appendChild(editButton);
  item.appendChild(actions);
  els.suggestions.appendChild(item);
  state.suggestions.set(id, { element: item, text: text, sending: false });
  var mine = isMine(state.summaries.get(state.openId));
  sendButton.disabled = !mine;
  editButton.disabled = !mine;
  els.suggestionsBox.hidden = false;
}

function syncSuggestionsBox() {
  var visible = false;
  state.suggestions.forEach(function (entry) {
    if (!entry.sending) {
      visible = true;
    }
  });
  els.suggestionsBox.hidden = !visible;
}

function hideSuggestion(id) {
  var entry = state.suggestions.get(id);
  if (entry) {
    entry.sending = true;
    entry.element.hidden = true;
  }
  syncSuggestionsBox();
}

function showSuggestionAgain(id) {
  var entry = state.suggestions.get(id);
  if (entry) {
    entry.sending = false;
    entry.element.hidden = false;
  }
  syncSuggestionsBox();
}

function removeSuggestion(id) {
  var entry = state.suggestions.get(id);
  if (entry) {
    entry.element.remove();
    state.suggestions.delete(id);
  }
  if (state.editing && state.editing.id === id) {
    clearEditing();
  }
  syncSuggestionsBox();
}

function onSuggestionClick(event) {
  var button = event.target.closest("button");
  var item = button ? button.closest(".consoleSuggestion") : null;
  if (!item) {
    return;
  }
  var id = item.getAttribute("data-suggestion-id");
  var entry = state.suggestions.get(id);
  var summary = state.summaries.get(state.openId);
  if (!entry || !isMine(summary)) {
    return;
  }
  if (button.classList.contains("consoleSuggestionSend")) {
    if (state.editing && state.editing.id === id) {
      clearEditing();
    }
    postMessage(summary.id, entry.text, id);
    stopTyping(true);
  } else if (button.classList.contains("consoleSuggestionEdit")) {
    els.input.value = entry.text;
    state.editing = { id: id, conversation: summary.id };
    els.editing.hidden = false;
    els.input.focus();
    els.input.setSelectionRange(entry.text.length, entry.text.length);
  }
}

function clearEditing() {
  state.editing = null;
  els.editing.hidden = true;
}

/* ---------------- typing ---------------- */

function onInput() {
  var summary = state.openId !== null ? state.summaries.get(state.openId) : null;
  if (els.input.value === "" && state.editing) {
    clearEditing();
  }
  if (!isMine(summary) || noteMode) {
    return;  // a note is no business of the visitor's, not even that someone types
  }
  typing.input(els.input.value.trim() !== "", summary.id);
}

/* notify=false when the conversation is no longer ours: the server would refuse the frame. */
function stopTyping(notify) {
  typing.stop(notify);
}

function handleTyping(frame) {
  if (frame.conversation !== state.openId) {
    return;
  }
  if (frame.active === true) {
    els.visitorTyping.hidden = false;
    if (state.visitorTypingTimer !== null) {
      clearTimeout(state.visitorTypingTimer);
    }
    state.visitorTypingTimer = setTimeout(hideVisitorTyping, VISITOR_TYPING_TTL_MS);
  } else {
    hideVisitorTyping();
  }
}

function hideVisitorTyping() {
  if (state.visitorTypingTimer !== null) {
    clearTimeout(state.visitorTypingTimer);
    state.visitorTypingTimer = null;
  }
  els.visitorTyping.hidden = true;
}

/* ---------------- errors ---------------- */

function handleError(frame) {
  var code = str(frame.code);
  var detail = str(frame.detail) || ERROR_TEXTS[code] || "Something went wrong.";
  if (code === "taken" && !str(frame.detail)) {
    detail = ERROR_TEXTS.taken;
  }
  if (code === "forbidden") {
    state.fatal = true;
  }
  if (code === "rate_limited") {
    // Refused unread, not failed: the message stays pending and goes again when allowed
    // (or with the next reconnect's flush, whichever comes first).
    var refused = state.pending.get(str(frame.client_id));
    if (refused) {
      refused.sentOn = null;
      setTimeout(function () {
        if (state.pending.get(refused.client_id) === refused && refused.sentOn === null) {
          sendPending(refused);
        }
      }, retryAfterMs(frame.retry_after));
    }
    showNotice(detail, "error");
    return;
  }
  if (typeof frame.client_id === "string") {
    failPending(frame.client_id, detail);
  }
  if (code === "not_found" && isId(frame.conversation) &&
      frame.conversation === state.requestedId && frame.conversation !== state.openId) {
    state.requestedId = state.openId;
    els.panel.removeAttribute("aria-busy");
    removeConversation(frame.conversation);
    renderGroups();
    updateWaiting([], false);
    if (state.openId === null) {
      els.panelTitle.textContent = "No conversation open";
    }
  }
  if (code === "taken" || code === "closed") {
    state.tookId = null;
  }
  var prefix = isId(frame.conversation) ? "Conversation #" + frame.conversation + ": " : "";
  showNotice(prefix + detail, "error");
}

/* ---------------- actions ---------------- */

function openSummary() {
  return state.openId !== null ? state.summaries.get(state.openId) || null : null;
}

function act(type, extra) {
  var summary = openSummary();
  if (!summary) {
    return;
  }
  var frame = { type: type, conversation: summary.id };
  Object.keys(extra || {}).forEach(function (key) {
    frame[key] = extra[key];
  });
  if (!send(frame)) {
    showNotice("Not connected: try again once the connection is back.", "error");
    return false;
  }
  return true;
}

function onTake() {
  var summary = openSummary();
  if (summary && act("take")) {
    state.tookId = summary.id;
  }
}

function onHandBack() {
  stopTyping(true);
  act("hand_back");
}

function onTransfer() {
  var agentId = parseInt(els.transferSelect.value, 10);
  if (!isId(agentId)) {
    return;
  }
  stopTyping(true);
  if (act("transfer", { agent: agentId })) {
    els.transferSelect.value = "";
  }
}

function onClose() {
  stopTyping(true);
  act("close");
}

function onSidekick() {
  var summary = openSummary();
  if (!act("sidekick", { active: els.sidekick.checked }) && summary) {
    els.sidekick.checked = summary.sidekick === true;
  }
}

function onAccepting() {
  if (!send({ type: "accepting", active: els.accepting.checked })) {
    els.accepting.checked = !els.accepting.checked;
    showNotice("Not connected: try again once the connection is back.", "error");
  }
}

function onSubmit(event) {
  event.preventDefault();
  if (noteMode) {
    submitNote();
    return;
  }
  var summary = openSummary();
  if (!isMine(summary)) {
    return;
  }
  var text = els.input.value.trim();
  if (!text) {
    els.input.value = "";
    return;
  }
  if (text.length > MAX_TEXT_LENGTH) {
    showNotice("Messages are limited to " + MAX_TEXT_LENGTH + " characters; this one has " +
      text.length + ".", "error");
    return;
  }
  var suggestion = state.editing && state.editing.conversation === summary.id ?
    state.editing.id : null;
  postMessage(summary.id, text, suggestion);
  els.input.value = "";
  state.drafts.delete(summary.id);
  clearEditing();
  stopTyping(true);
  els.input.focus();
}

/* ---------------- private notes ---------------- */

/* A note is for staff only: written with the composer switched to "Note", shown in the thread
 * apart from messages (never as one), and stored and delivered by the server on the staff's
 * side alone (chat.models.Note). Ours show at once as pending, keyed by client_id, confirmed
 * by the server's "note" frame; unconfirmed ones go again after a reconnect (the server stores
 * each client_id once). */
var noteMode = false;
var pendingNotes = new Map();  // client_id -> {conversation, text, client_id, node, sentOn}

function noteRow(author, text, createdAt) {
  var row = el("li", "consoleNoteRow");
  var meta = el("div", "consoleMessageMeta");
  meta.appendChild(el("span", "consoleNoteLabel", "Private note"));
  meta.appendChild(el("span", "consoleMessageSender", author));
  var date = parseDate(createdAt);
  if (date) {
    var time = el("time", "consoleMessageTime", clockTime(date));
    time.setAttribute("datetime", date.toISOString());
    time.title = date.toLocaleString();
    meta.appendChild(time);
  }
  row.appendChild(meta);
  row.appendChild(el("div", "consoleNote", text));
  return row;
}

function pendingNoteNode(item) {
  var row = noteRow(state.me ? state.me.name : "You", item.text, null);
  row.classList.add("consoleNoteRow--pending");
  row.setAttribute("aria-busy", "true");
  row.querySelector(".consoleMessageMeta").appendChild(
    el("span", "consoleMessageState", "saving\u2026"));
  return row;
}

function noteShown(id) {
  return Array.prototype.some.call(els.messages.querySelectorAll(".consoleNote[data-note-id]"),
    function (node) { return node.getAttribute("data-note-id") === id; });
}

function handleNote(frame) {
  if (frame.conversation !== state.openId || typeof frame.id !== "string") {
    return;
  }
  var clientId = typeof frame.client_id === "string" ? frame.client_id : null;
  var pending = clientId ? pendingNotes.get(clientId) : null;
  if (pending && pending.conversation !== frame.conversation) {
    pending = null;
  }
  if (pending) {
    pendingNotes.delete(clientId);
  }
  if (noteShown(frame.id)) {
    if (pending && pending.node) {
      pending.node.remove();
    }
    return;
  }
  state.stickToBottom = isNearBottom() || !!pending;
  var author = isObject(frame.author) ? str(frame.author.name) : "";
  var row = noteRow(author || "Staff", str(frame.text), frame.created_at);
  row.querySelector(".consoleNote").setAttribute("data-note-id", frame.id);
  if (pending && pending.node && els.messages.contains(pending.node)) {
    pending.node.replaceWith(row);
  } else {
    insertConfirmed(row);
  }
  scrollToBottom(false);
}

function sendNote(item) {
  if (isConnected() && send({ type: "note", conversation: item.conversation, text: item.text,
    client_id: item.client_id })) {
    item.sentOn = socket.current();
  }
}

function submitNote() {
  var summary = openSummary();
  if (!summary) {
    return;
  }
  var text = els.input.value.trim();
  if (!text) {
    els.input.value = "";
    return;
  }
  if (text.length > MAX_TEXT_LENGTH) {
    showNotice("Notes are limited to " + MAX_TEXT_LENGTH + " characters; this one has " +
      text.length + ".", "error");
    return;
  }
  var item = { conversation: summary.id, text: text, client_id: makeClientId(), node: null,
    sentOn: null };
  pendingNotes.set(item.client_id, item);
  item.node = pendingNoteNode(item);
  els.messages.appendChild(item.node);
  scrollToBottom(true);
  sendNote(item);
  els.input.value = "";
  state.drafts.delete(summary.id);
  els.input.focus();
}

/* After (re)opening: our unconfirmed notes shown again, and sent again if this socket has not. */
function flushNotes(conversationId) {
  pendingNotes.forEach(function (item) {
    if (item.conversation !== conversationId) {
      return;
    }
    if (!item.node || !els.messages.contains(item.node)) {
      item.node = pendingNoteNode(item);
      els.messages.appendChild(item.node);
    }
    if (item.sentOn !== socket.current()) {
      sendNote(item);
    }
  });
}

/* An error about one of our notes: refused for now (rate limit), or for good. */
function noteRefused(frame) {
  var item = pendingNotes.get(str(frame.client_id));
  if (!item) {
    return;
  }
  if (frame.code === "rate_limited") {
    item.sentOn = null;
    setTimeout(function () {
      if (pendingNotes.get(item.client_id) === item && item.sentOn === null) {
        sendNote(item);
      }
    }, retryAfterMs(frame.retry_after));
    return;
  }
  pendingNotes.delete(item.client_id);
  if (item.node) {
    item.node.classList.remove("consoleNoteRow--pending");
    item.node.classList.add("consoleNoteRow--failed");
    item.node.removeAttribute("aria-busy");
    var note = item.node.querySelector(".consoleMessageState");
    if (note) {
      note.textContent = "not saved: " + (str(frame.detail) || "refused");
    }
  }
  if (item.conversation === state.openId && els.input.value === "") {
    els.input.value = item.text;  // nothing typed is lost
  }
}

function setComposerMode(mode) {
  noteMode = mode === "note";
  els.modeReply.checked = !noteMode;
  els.modeNote.checked = noteMode;
  els.composer.classList.toggle("consoleComposer--note", noteMode);
  els.modeHint.hidden = !noteMode;
  els.inputLabel.textContent = noteMode ? "Your private note" : "Your answer";
  els.send.textContent = noteMode ? "Add note" : "Send";
  if (noteMode) {
    stopTyping(true);
  }
  updateControls();
}

/* Any agent may note any conversation open in the panel, whoever answers it. */
function updateNoteControls() {
  if (!noteMode) {
    return;
  }
  var summary = openSummary();
  els.input.disabled = !summary;
  els.send.disabled = !summary;
  els.input.placeholder = summary ? "Write a note only staff see\u2026" :
    "Open a conversation first";
}

/* ---------------- unread counts ---------------- */

/* How many of each conversation's visitor messages this agent has seen, from the server (per
 * agent, so the counts are right after a reload and on every screen of theirs) and moved
 * forward here as the console shows them: unread is a row's "visitor_messages" less that. */
var seenCounts = new Map();

function applySeen(seen) {
  if (!isObject(seen)) {
    return;
  }
  Object.keys(seen).forEach(function (key) {
    var id = parseInt(key, 10);
    if (isId(id) && typeof seen[key] === "number") {
      seenCounts.set(id, Math.max(seen[key], seenCounts.get(id) || 0));
    }
  });
}

/* A closed conversation has nobody left to answer: it counts nothing unread. */
function unreadOf(summary) {
  if (summary.state === "closed" || typeof summary.visitor_messages !== "number") {
    return 0;
  }
  return Math.max(0, summary.visitor_messages - (seenCounts.get(summary.id) || 0));
}

function renderUnread(item, summary) {
  var button = item.firstChild;
  var top = button.querySelector(".consoleRowTop");
  var badge = top.querySelector(".consoleRowUnread");
  if (!badge) {
    badge = el("span", "consoleRowUnread");
    top.insertBefore(badge, top.querySelector(".consoleRowTime"));
  }
  var count = unreadOf(summary);
  badge.textContent = count ? String(count) : "";
  if (count) {
    badge.appendChild(el("span", "consoleVisuallyHidden",
      count === 1 ? " unread message" : " unread messages"));
  }
  badge.hidden = !count;
  button.setAttribute("data-unread", String(count));
}

/* The agent sees the conversation now: all the visitor wrote is read, here at once and on the
 * server a moment later, once for a burst of messages (a "seen" per message would spend the
 * socket's allowance of frames, which the agent's own messages need). */
var SEEN_DELAY_MS = 1500;
var seenToSend = new Map();  // conversation id -> the count to tell the server
var seenTimer = null;

function markSeen(summary) {
  var written = summary.visitor_messages;
  if (typeof written !== "number" || (seenCounts.get(summary.id) || 0) >= written) {
    return;
  }
  seenCounts.set(summary.id, written);
  seenToSend.set(summary.id, written);
  if (seenTimer === null) {
    seenTimer = setTimeout(sendSeen, SEEN_DELAY_MS);
  }
  var item = state.rows.get(summary.id);
  if (item) {
    renderUnread(item, summary);
  }
}

/* Not connected: dropped. Opening the conversation again on reconnecting sees it all. */
function sendSeen() {
  seenTimer = null;
  seenToSend.forEach(function (count, id) {
    if (isConnected()) {
      send({ type: "seen", conversation: id, visitor_messages: count });
    }
  });
  seenToSend.clear();
}

/* A row changed live: has the visitor written since? */
function visitorWroteIn(before, summary) {
  var was = before && typeof before.visitor_messages === "number" ? before.visitor_messages : 0;
  if (typeof summary.visitor_messages !== "number" || summary.visitor_messages <= was) {
    return;
  }
  if (summary.id === state.openId && document.visibilityState === "visible") {
    markSeen(summary);
  }
  if (isMine(summary)) {
    alerts.visitorWrote(summary);
  }
}

/* ---------------- opening, alerts, canned responses ---------------- */

var alerts = { waiting: function () {}, visitorWrote: function () {} };
var canned = null;
var openedVisitorName = "";  // the open conversation's visitor's name, when the chat knows it

function afterOpened(frame, summary) {
  flushNotes(summary.id);
  openedVisitorName = isObject(frame.visitor) ? str(frame.visitor.name) : "";
  // The server counted it seen on opening: so does the list.
  if (typeof summary.visitor_messages === "number") {
    seenCounts.set(summary.id, Math.max(summary.visitor_messages, seenCounts.get(summary.id) || 0));
  }
  if (canned) {
    canned.close();
  }
}

function alertWaiting(newlyWaiting, firstLoad) {
  if (firstLoad) {
    return;
  }
  newlyWaiting.forEach(function (id) {
    var summary = state.summaries.get(id);
    if (summary) {
      alerts.waiting(summary);
    }
  });
}

function initWorkingFaster() {
  els.modeReply = document.getElementById("consoleModeReply");
  els.modeNote = document.getElementById("consoleModeNote");
  els.modeHint = document.getElementById("consoleModeHint");
  els.inputLabel = document.getElementById("consoleInputLabel");
  [els.modeReply, els.modeNote].forEach(function (radio) {
    radio.addEventListener("change", function () {
      if (radio.checked) {
        setComposerMode(radio.value);
      }
    });
  });

  alerts = desktopAlerts({
    button: document.getElementById("consoleNotifyOn"),
    state: document.getElementById("consoleNotifyState"),
    sound: document.getElementById("consoleSound"),
    open: openConversation
  });
  canned = cannedComposer({
    input: els.input,
    list: document.getElementById("consoleCannedList"),
    count: document.getElementById("consoleCannedCount"),
    values: function () {
      return { visitor_name: openedVisitorName, agent_name: state.me ? state.me.name : "" };
    }
  });
  cannedManager({
    opener: document.getElementById("consoleCannedManage"),
    dialog: document.getElementById("consoleCannedDialog")
  });

  document.addEventListener("visibilitychange", function () {
    var open = openSummary();
    if (document.visibilityState === "visible" && open) {
      markSeen(open);
    }
  });
}

/* ---------------- the list through a filter: labels, filters, search, older pages ----------------
 *
 * The server keeps the list's filter per socket: "list" sets it and answers with the first
 * page (or, with "after", the next one); from then on every changed row comes with "listed",
 * whether it belongs in the list. Rows that do not stay known (for the waiting alert and
 * the open conversation) and are simply not shown. Pages go by the list's own order, newest
 * activity first, so paging on through older conversations neither repeats nor skips one
 * while new ones arrive at the top.
 *
 * Labels are a name with a colour: the colour is only ever a swatch beside the name, whose
 * text keeps the page's own colours, so a label is never told by its colour alone.
 */

var listing = {
  filter: {},          // the filter the list shows, as the server took it ({}: everything)
  ids: new Set(),      // with a filter: the conversations in the list
  next: null,          // the cursor of the next page, null at the end
  request: null,       // the client_id of the page we wait for; older answers are dropped
  asked: null,         // the filter of that request
  labels: new Map(),   // label id -> {id, name, color}, from "filters"
  agents: [],          // [{id, name, is_bot}], from "filters"
  loaded: false        // "filters" received: labels unknown to it are deleted ones
};

var LABEL_COLOR = /^#[0-9a-fA-F]{6}$/;

function filterActive() {
  return Object.keys(listing.filter).length > 0;
}

function isListed(id) {
  return !filterActive() || listing.ids.has(id);
}

function unlistRow(id) {
  var item = state.rows.get(id);
  if (item && item.parentNode) {
    item.remove();
  }
}

/* A live row: in the list or out of it, as the server says for the filter it has. */
function noteListed(summary) {
  if (!filterActive() || typeof summary.listed !== "boolean") {
    return;
  }
  if (summary.listed) {
    listing.ids.add(summary.id);
  } else {
    listing.ids.delete(summary.id);
  }
}

/* A page of the list: the answer to our "list", or the first page a (re)connect sends. */
function handleConversationsPage(frame) {
  if (!Array.isArray(frame.conversations)) {
    return;
  }
  // How far this agent has seen the page's conversations (their unread counts).
  applySeen(frame.seen);
  if (typeof frame.client_id !== "string") {
    if (!filterActive()) {
      handleConversations(frame);
      listing.next = str(frame.next) || null;
      renderListStatus();
      return;
    }
    // The server forgot our filter with the old socket: everything it sent is news to keep,
    // the list itself comes again through the filter.
    frame.conversations.filter(validSummary).forEach(upsert);
    requestList(listing.filter, null);
    afterListChange([], false);
    return;
  }
  if (frame.client_id !== listing.request) {
    return;  // the answer to a filter the agent has changed since
  }
  listing.request = null;
  listing.filter = listing.asked || {};
  listing.next = str(frame.next) || null;
  els.conversations.removeAttribute("aria-busy");
  var incoming = frame.conversations.filter(validSummary);
  if (frame.after === null || frame.after === undefined) {
    if (!filterActive()) {
      handleConversations(frame);
      renderListStatus();
      return;
    }
    listing.ids = new Set();
    els.conversations.scrollTop = 0;
  }
  incoming.forEach(function (summary) {
    upsert(summary);
    if (filterActive()) {
      listing.ids.add(summary.id);
    }
  });
  state.listLoaded = true;
  afterListChange([], false);
}

/* Ask for the first page through ``filter``, or for the page after the cursor ``after`` of
 * the list shown (whatever the form says meanwhile). */
function requestList(filter, after) {
  if (after) {
    filter = listing.filter;
  }
  var frame = { type: "list", filter: filter, client_id: "list-" + makeClientId() };
  if (after) {
    frame.after = after;
  }
  if (!isConnected() || !send(frame)) {
    showNotice("Not connected: the list is filtered once the connection is back.", "info");
    listing.request = null;
    return;
  }
  listing.request = frame.client_id;
  listing.asked = filter;
  els.conversations.setAttribute("aria-busy", "true");
  els.filterStatus.textContent = after ? "Loading older conversations\u2026" : "Searching\u2026";
}

function listRefused(frame) {
  if (listing.request !== null && frame.client_id === listing.request) {
    listing.request = null;
    els.conversations.removeAttribute("aria-busy");
    renderListStatus();
  }
}

/* The filter the form says, as the server reads it; dates are the agent's own midnights. */
function readFilter() {
  var filter = {};
  var words = els.filterSearch.value.trim();
  if (words) {
    filter.search = words;
  }
  var label = parseInt(els.filterLabel.value, 10);
  if (isId(label)) {
    filter.labels = [label];
  }
  if (els.filterState.value) {
    filter.state = els.filterState.value;
  }
  var agent = els.filterAgent.value;
  if (agent === "none") {
    filter.agent = "none";
  } else if (isId(parseInt(agent, 10))) {
    filter.agent = parseInt(agent, 10);
  }
  var since = localMidnight(els.filterSince.value, 0);
  var until = localMidnight(els.filterUntil.value, 1);  // the whole of the last day
  if (since) {
    filter.since = since;
  }
  if (until) {
    filter.until = until;
  }
  return filter;
}

function localMidnight(value, daysLater) {
  var match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value || "");
  if (!match) {
    return null;
  }
  var date = new Date(+match[1], +match[2] - 1, +match[3] + daysLater);
  return isNaN(date.getTime()) ? null : date.toISOString();
}

function applyFilter(event) {
  if (event) {
    event.preventDefault();
  }
  var filter = readFilter();
  if (filter.since && filter.until && filter.since >= filter.until) {
    showNotice("The first day of the period must not come after its last day.", "error");
    return;
  }
  requestList(filter, null);
}

function clearFilter() {
  els.filters.reset();
  requestList({}, null);
}

function renderListStatus() {
  if (!els.filterStatus || listing.request !== null) {
    return;
  }
  var shown = 0;
  state.rows.forEach(function (item) {
    if (item.parentNode) {
      shown += 1;
    }
  });
  var more = listing.next !== null;
  els.more.hidden = !more;
  GROUPS.forEach(function (group) {
    // "Nobody is waiting" is not what an empty group of a filtered list means.
    var empty = els.groups[group].empty;
    if (!empty.hasAttribute("data-unfiltered")) {
      empty.setAttribute("data-unfiltered", empty.textContent);
    }
    empty.textContent = filterActive() ? "None match." : empty.getAttribute("data-unfiltered");
  });
  if (!filterActive()) {
    els.filterStatus.textContent = "";
    return;
  }
  els.filterStatus.textContent = shown === 0 ? "No conversation matches." :
    (shown === 1 ? "1 conversation matches" : shown + " conversations match") +
      (more ? ", and older ones: show them below." : ".");
}

/* ---- labels ---- */

function handleFilters(frame) {
  listing.labels = new Map();
  (Array.isArray(frame.labels) ? frame.labels : []).forEach(function (label) {
    if (isObject(label) && isId(label.id) && str(label.name)) {
      listing.labels.set(label.id, label);
    }
  });
  listing.agents = (Array.isArray(frame.agents) ? frame.agents : []).filter(function (agent) {
    return isObject(agent) && isId(agent.id);
  });
  listing.loaded = true;
  var gone = filterActive() && (listing.filter.labels || []).some(function (id) {
    return !listing.labels.has(id);
  });
  fillSelect(els.filterLabel, sortedLabels(), function (label) { return label.name; });
  fillSelect(els.filterAgent, listing.agents, function (agent) {
    return str(agent.name) + (agent.is_bot ? " (bot app)" : "");
  }, 2);
  if (gone) {
    requestList(readFilter(), null);  // the label filtered by was deleted: now "Any label"
  }
  refreshRows();
  var open = openSummary();
  if (open) {
    renderPanelLabels(open);
  }
  updateControls();
}

/* Options after the first ``keep`` (their "any" and "nobody"); the choice kept if possible. */
function fillSelect(select, items, text, keep) {
  var chosen = select.value;
  while (select.options.length > (keep || 1)) {
    select.remove(select.options.length - 1);
  }
  items.forEach(function (item) {
    select.appendChild(new Option(text(item), String(item.id)));
  });
  select.value = chosen;
  if (select.value !== chosen) {
    select.value = "";
  }
}

function sortedLabels() {
  return Array.from(listing.labels.values()).sort(function (a, b) {
    return str(a.name).localeCompare(str(b.name));
  });
}

/* A row's labels as the registry knows them now (renamed, recoloured), deleted ones left out. */
function labelsOf(summary) {
  var labels = [];
  (Array.isArray(summary.labels) ? summary.labels : []).forEach(function (label) {
    if (!isObject(label) || !isId(label.id)) {
      return;
    }
    var known = listing.labels.get(label.id);
    if (known) {
      labels.push(known);
    } else if (!listing.loaded && str(label.name)) {
      labels.push(label);
    }
  });
  return labels.sort(function (a, b) {
    return str(a.name).localeCompare(str(b.name));
  });
}

function labelChip(label, tag) {
  var chip = el(tag || "span", "consoleLabel");
  chip.setAttribute("data-label-id", String(label.id));
  var swatch = el("span", "consoleLabelSwatch");
  swatch.setAttribute("aria-hidden", "true");
  if (LABEL_COLOR.test(str(label.color))) {
    swatch.style.setProperty("--console-label-color", label.color);
  }
  chip.appendChild(swatch);
  chip.appendChild(el("span", "consoleLabelName", str(label.name)));
  return chip;
}

function renderRowLabels(button, summary) {
  var box = button.querySelector(".consoleRowLabels");
  if (!box) {
    box = el("span", "consoleRowLabels");
    button.appendChild(box);
  }
  box.textContent = "";
  var labels = labelsOf(summary);
  labels.forEach(function (label) {
    box.appendChild(labelChip(label));
  });
  box.hidden = labels.length === 0;
}

function renderPanelLabels(summary) {
  var labels = labelsOf(summary);
  var list = els.labelList;
  list.textContent = "";
  labels.forEach(function (label) {
    var chip = labelChip(label, "li");
    var remove = el("button", "consoleLabelRemove", "\u00d7");
    remove.type = "button";
    remove.setAttribute("aria-label", "Take the label " + str(label.name) + " off");
    remove.setAttribute("data-label-id", String(label.id));
    chip.appendChild(remove);
    list.appendChild(chip);
  });
  list.hidden = labels.length === 0;
  var on = new Set(labels.map(function (label) { return label.id; }));
  fillSelect(els.labelSelect, sortedLabels().filter(function (label) {
    return !on.has(label.id);
  }), function (label) { return label.name; });
  els.labels.hidden = false;
  updateLabelControls(isConnected(), summary);
}

function updateLabelControls(connected, summary) {
  if (!els.labels) {
    return;
  }
  if (!summary) {
    els.labels.hidden = true;
  }
  els.labelSelect.disabled = !(connected && summary && els.labelSelect.options.length > 1);
  els.labelAdd.disabled = !(connected && summary && els.labelSelect.value !== "");
  els.labelList.querySelectorAll(".consoleLabelRemove").forEach(function (button) {
    button.disabled = !connected;
  });
}

function setLabel(labelId, active) {
  var summary = openSummary();
  if (summary && isId(labelId) && act("label", { label: labelId, active: active })) {
    if (active) {
      els.labelSelect.value = "";
    }
    updateLabelControls(isConnected(), summary);
  }
}

function initListing() {
  els.filters = document.getElementById("consoleFilters");
  els.filterSearch = document.getElementById("consoleFilterSearch");
  els.filterLabel = document.getElementById("consoleFilterLabel");
  els.filterState = document.getElementById("consoleFilterState");
  els.filterAgent = document.getElementById("consoleFilterAgent");
  els.filterSince = document.getElementById("consoleFilterSince");
  els.filterUntil = document.getElementById("consoleFilterUntil");
  els.filterClear = document.getElementById("consoleFilterClear");
  els.filterStatus = document.getElementById("consoleFilterStatus");
  els.more = document.getElementById("consoleMore");
  els.labels = document.getElementById("consoleLabels");
  els.labelList = document.getElementById("consoleLabelList");
  els.labelSelect = document.getElementById("consoleLabelSelect");
  els.labelAdd = document.getElementById("consoleLabelAdd");

  els.filters.addEventListener("submit", applyFilter);
  // Choices apply at once; the words when the agent presses Enter or "Find".
  [els.filterLabel, els.filterState, els.filterAgent, els.filterSince, els.filterUntil]
    .forEach(function (field) {
      field.addEventListener("change", function () {
        applyFilter(null);
      });
    });
  els.filterClear.addEventListener("click", clearFilter);
  els.more.addEventListener("click", function () {
    if (listing.next !== null && listing.request === null) {
      requestList(listing.filter, listing.next);
    }
  });
  els.labelSelect.addEventListener("change", function () {
    updateLabelControls(isConnected(), openSummary());
  });
  els.labelAdd.addEventListener("click", function () {
    setLabel(parseInt(els.labelSelect.value, 10), true);
  });
  els.labelList.addEventListener("click", function (event) {
    var button = event.target.closest(".consoleLabelRemove");
    if (button) {
      setLabel(parseInt(button.getAttribute("data-label-id"), 10), false);
    }
  });
}

/* ---------------- init ---------------- */

function init() {
  els.connection = document.getElementById("consoleConnection");
  els.conversations = document.getElementById("consoleConversations");
  if (!els.connection || !els.conversations || typeof WebSocket === "undefined") {
    return;
  }
  els.alert = document.getElementById("consoleAlert");
  els.alertText = els.alert.querySelector(".consoleAlertText");
  els.alertOpen = els.alert.querySelector(".consoleAlertOpen");
  els.alertDismiss = els.alert.querySelector(".consoleAlertDismiss");
  els.notice = document.getElementById("consoleNotice");
  els.noticeText = els.notice.querySelector(".consoleNoticeText");
  els.noticeDismiss = els.notice.querySelector(".consoleNoticeDismiss");
  els.accepting = document.getElementById("consoleAccepting");
  els.presence = document.getElementById("consolePresence");
  els.panel = document.getElementById("consolePanel");
  els.panelTitle = document.getElementById("consolePanelTitle");
  els.state = document.getElementById("consoleState");
  els.agentLine = document.getElementById("consoleAgent");
  els.ratingLine = document.getElementById("consoleRating");
  els.visitorPage = document.getElementById("consoleVisitorPage");
  els.take = document.getElementById("consoleTake");
  els.handBack = document.getElementById("consoleHandBack");
  els.transferSelect = document.getElementById("consoleTransferSelect");
  els.transfer = document.getElementById("consoleTransfer");
  els.close = document.getElementById("consoleClose");
  els.sidekick = document.getElementById("consoleSidekick");
  els.messages = document.getElementById("consoleMessages");
  els.visitorTyping = document.getElementById("consoleVisitorTyping");
  els.suggestionsBox = document.getElementById("consoleSuggestionsBox");
  els.suggestions = document.getElementById("consoleSuggestions");
  els.composer = document.getElementById("consoleComposer");
  els.input = document.getElementById("consoleInput");
  els.send = document.getElementById("consoleSend");
  els.editing = document.getElementById("consoleEditing");
  els.editingCancel = document.getElementById("consoleEditingCancel");
  els.groups = {};
  GROUPS.forEach(function (group) {
    var section = els.conversations.querySelector('[data-group="' + group + '"]');
    els.groups[group] = {
      list: section.querySelector(".consoleGroupList"),
      count: section.querySelector(".consoleGroupCount"),
      empty: section.querySelector(".consoleEmpty")
    };
  });
  state.baseTitle = document.title;
  initListing();

  els.conversations.addEventListener("click", function (event) {
    var row = event.target.closest(".consoleRow");
    if (row) {
      openConversation(parseInt(row.getAttribute("data-conversation-id"), 10));
    }
  });
  els.alertOpen.addEventListener("click", function () {
    var waiting = waitingSummaries();
    var target = state.alertTarget !== null ? state.alertTarget : (waiting[0] || {}).id;
    if (isId(target)) {
      openConversation(target);
    }
  });
  els.alertDismiss.addEventListener("click", function () {
    state.alertDismissed = true;
    els.alert.hidden = true;
  });
  els.noticeDismiss.addEventListener("click", hideNotice);
  els.take.addEventListener("click", onTake);
  els.handBack.addEventListener("click", onHandBack);
  els.transfer.addEventListener("click", onTransfer);
  els.transferSelect.addEventListener("change", updateControls);
  els.close.addEventListener("click", onClose);
  els.sidekick.addEventListener("change", onSidekick);
  els.accepting.addEventListener("change", onAccepting);
  els.composer.addEventListener("submit", onSubmit);
  els.input.addEventListener("input", onInput);
  els.suggestions.addEventListener("click", onSuggestionClick);
  els.editingCancel.addEventListener("click", function () {
    clearEditing();
    els.input.focus();
  });

  initWorkingFaster();
  setInterval(refreshRows, TIMES_REFRESH_MS);
  window.addEventListener("online", reconnectSoon);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") {
      reconnectSoon();
    }
  });
  window.addEventListener("pagehide", function () {
    // Leaving: close cleanly so that presence ends now rather than when it expires.
    socket.close(1000, "Console closed");
  });
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) {
      socket.live();
      connect();
    }
  });

  updateControls();
  renderGroups();
  connect();
}

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", init);
} else {
  init();
}
