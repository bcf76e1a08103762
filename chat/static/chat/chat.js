/*
 * Live chat box (vanilla JS, no dependencies).
 *
 * Protocol: JSON, one object per WebSocket frame (chat/protocol.py and chat/consumers.py on
 * the server side).  Why the page behaves as it does:
 *
 * - Every shown message is keyed by its server id, so replays after a reconnect or a page
 *   navigation never duplicate anything.  Messages typed by the visitor are shown at once as
 *   "pending" (keyed by client_id) and kept in an outbox persisted in sessionStorage until the
 *   server acknowledges them (a visitor frame carrying the same client_id); the server
 *   de-duplicates by client_id, so resending the whole outbox on every connect is safe.
 * - The first frame of every connection is a "status" frame (who answers, whether anybody can)
 *   and the server repeats it whenever that changes, so the header and the "leave a message"
 *   form follow the socket, never a guess.  While no socket is open (chat box closed) the
 *   launcher asks GET /restapi/chat-status instead, at page load and every 30 s, so a visitor
 *   is told before opening whether a person or the bot will answer.
 * - {"type": "status", "leave_message": true} means the visitor asked for a person and nobody
 *   is there: the form is offered below the conversation, which stays visible.
 * - "out_of_hours" (in "status" and "online" frames and the HTTP status) says it is outside
 *   the business hours: people are away, whoever is online.  The status line then shows the
 *   away text of the page's config (staff's words, or the chat's own in the page's language).
 * - An error "conversation_closed" means staff closed the conversation and the message was
 *   NOT stored; the server then closes the socket with 4002.  The message therefore stays in
 *   the outbox (it is not "failed"), and the page reconnects at once, which opens a new
 *   conversation, where the outbox is resent.
 * - An error "rate_limited" means the server refused a frame unread (too many too fast), so
 *   that message too stays pending in the outbox: the notice says how long to wait, and the
 *   outbox is resent after "retry_after" seconds (a reconnect resends it anyway).  Messages
 *   typed meanwhile wait for that resend instead of being refused in turn.  Any other error
 *   naming a client_id is final.
 * - Typing indicators are best effort: the visitor's "typing" is repeated at most every 2 s
 *   while keys are pressed and ended after 3 s idle or on send; an agent's indicator hides by
 *   itself after 6 s without an update, so a lost "active: false" never sticks.
 * - A bot app's message may carry "attachments": text and buttons under the bubble.  A
 *   quick-reply button sends an ordinary visitor message (its label as the text, its value as
 *   "value") through the same outbox as typed ones, so it is pending, resent and de-duplicated
 *   alike.  A choice is made once: a message's quick replies are disabled as soon as any
 *   visitor message follows it, which the replayed history also shows after a reload.  Link
 *   buttons open only http(s) addresses, in a new tab without access to this page.
 * - Everything from the server or the visitor is rendered with textContent, never as markup.
 */
import {
  chatUrl,
  config,
  httpUrl,
  localGet,
  localSet,
  makeClientId,
  outbox,
  reconnectingSocket,
  retryAfterMs,
  sessionGet,
  sessionSet,
  siteSocketUrl,
  str,
  typingNotifier,
} from "./common.js";
import { format, gettext } from "./i18n.js";
import { unreadTracker } from "./notify.js";
import { phoneSheet } from "./sheet.js";

var STORAGE_OPEN = "chatbox:open";
var STORAGE_OUTBOX = "chatbox:outbox";
var STORAGE_LEAVE = "chatbox:leave";
// The visitor has a conversation: pages whose box is closed listen for its replies.
var STORAGE_CONVERSATION = "chatbox:conversation";
// Embedded on another site: the visitor's signed token (third-party cookies are blocked).
var STORAGE_TOKEN = "chatbox:token";
var TOKEN_HEADER = "X-Chat-Visitor-Token";
var AGENT_INFO_URL = chatUrl(config.agent_info_url);
var STATUS_URL = chatUrl(config.status_url);
var LEAVE_URL = chatUrl(config.leave_message_url);
var TRANSCRIPT_URL = config.transcript_url ? chatUrl(config.transcript_url) : "";
var WS_PATH = config.socket_path;
var EMBEDDED = Boolean(config.base_url);
var CSRF_COOKIE = "csrftoken";
var CLOSED_CLOSE_CODE = 4002;           // the server closed the conversation
var INVALID_TOKEN_CLOSE_CODE = 4003;    // an embedded visitor's token was refused
var NOTHING_TO_RESUME_CLOSE_CODE = 4004; // a closed box found no open conversation
var FAST_RECONNECT_MIN_GAP_MS = 5000;   // reconnect at once after 4002, but not in a loop
var STATUS_POLL_MS = config.status_poll_ms;
var AGENT_TYPING_SHOW_MS = 6000;
var MAX_TEXT_LENGTH = config.max_text_length;
var MAX_VALUE_LENGTH = config.max_value_length;   // a quick reply's value
var MAX_ATTACHMENTS = config.max_attachments;
var MAX_ACTIONS = config.max_actions;
var CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;
var LONE_SURROGATE = /(^|[^\ud800-\udbff])[\udc00-\udfff]|[\ud800-\udbff](?![\udc00-\udfff])/;
var TEXT_CONNECTING = gettext("Connecting\u2026");
var TEXT_RECONNECTING = gettext("Connection lost. Reconnecting\u2026");
var TEXT_NO_SESSION = gettext("Chat unavailable. Reload the page to continue.");
var TEXT_CLOSED = gettext("This chat was closed.");
var TEXT_WAITING = gettext("Waiting for someone from the team\u2026");
var TEXT_AWAY = gettext("Nobody can chat right now.");
var TEXT_LAUNCHER_ONLINE = gettext("Chat with us");
var TEXT_LAUNCHER_OFFLINE = gettext("Leave us a message");
var TEXT_CHAT_WITH = gettext("Chat with %(name)s");
var TEXT_SOMEONE = gettext("Someone");
var TEXT_IS_TYPING = gettext("%(name)s is typing\u2026");
var TEXT_YOU = gettext("You");
var TEXT_SENDING = gettext("Sending\u2026");
var TEXT_NOT_SENT = gettext("Not sent");
var TEXT_SOMETHING_WRONG = gettext("Something went wrong.");
var TEXT_AVATAR = gettext("%(name)s avatar");
var TEXT_AGENT_AVATAR = gettext("Agent avatar");
var TEXT_LEAVE_SENDING = gettext("Sending\u2026");
var TEXT_LEAVE_THANKS = gettext("Thanks! We'll get back to you by email.");
var TEXT_LEAVE_INVALID = gettext("Please check the fields marked above.");
var TEXT_LEAVE_NETWORK = gettext("Your message could not be sent: check your connection and try again.");
var TEXT_LEAVE_FORBIDDEN = gettext("Your message could not be sent: reload the page and try again.");
var TEXT_LEAVE_FAILED = gettext("Your message could not be sent just now. Please try again.");
var TEXT_LEAVE_TOO_LARGE = gettext("Your message is too long to send. Please shorten it.");
var TEXT_NEW_TAB = gettext(" (opens in a new tab)");
var TEXT_RATING_CHOOSE = gettext("Please choose one of the five answers.");
var TEXT_RATING_THANKS = gettext("Thank you for your rating!");
var TEXT_TRANSCRIPT_SENDING = gettext("Sending\u2026");
var TEXT_TRANSCRIPT_SENT = gettext("Sent. Check your inbox in a minute.");
var TEXT_TRANSCRIPT_FAILED = gettext("The conversation could not be emailed just now. Please try again.");
var TEXT_TRANSCRIPT_NETWORK = gettext("The conversation could not be emailed: check your connection and try again.");
var TEXT_OUT_OF_HOURS = str(config.away_text);
var TEXT_TOKEN_REFUSED = gettext("Your chat could not be found again, so a new one starts.");
var LEAVE_FIELDS = ["name", "email", "text"];

var els = {};
var state = {
  open: false,
  userClosed: true,
  resendTimer: null,     // "rate_limited": the outbox goes again when this fires
  rateNotice: null,      // the notice saying how long to wait
  lastFastReconnect: 0,
  reopenAtOnce: false,   // "conversation_closed" received: the next close is no failure
  agentInfoLoaded: false,
  agentInfoPromise: null,
  botInfo: null,         // {name, title, thumb} from /restapi/get-agent-info
  fatal: false,          // the server said retrying cannot help (e.g. no session cookie)
  shownIds: new Map(),   // server id -> element
  pending: new Map(),    // client_id -> element
  outbox: null,          // outbox() of {client_id, text, value?}, kept in sessionStorage
  openQuickReplies: [],  // message elements whose quick replies can still be pressed
  attachmentCount: 0,    // for the ids that label each attachment's buttons
  visitorName: TEXT_YOU, // the server's name for the visitor, once it has sent one
  online: null,          // null until known
  outOfHours: false,     // outside business hours: the status line shows the away text
  statusFromSocket: false,  // the open socket has told us the status (trust it over HTTP)
  conversationState: null,  // "bot" | "waiting" | "agent" | "closed"
  answering: null,       // {role, name, title} | null
  leaveRequested: false, // the server offered the "leave a message" form
  leaveSending: false,
  connectionText: null,  // status line: the connection (wins)
  conversationText: null, // status line: the conversation
  agentTypingTimer: null,
  unread: null,          // notify.js's tracker: the launcher's count, the title, the sound
  sheet: null,           // sheet.js: the box over the whole screen on phones
  rating: null,          // the closed conversation's rating, {score, comment}, once given
  transcriptSending: false,
  focusAfter: false,     // the visitor ended the chat: the rating takes focus when it shows
  retryAgentInfo: false  // an embedded visitor's token was refused: ask again without it
};

/* ---------------- the outbox ---------------- */

/* A stored item as the page may have left it: only a valid id and text are taken back. */
function validOutboxItem(item) {
  if (typeof item.client_id !== "string" || !isValidClientId(item.client_id) ||
      typeof item.text !== "string" || item.text.trim() === "") {
    return null;
  }
  var kept = { client_id: item.client_id, text: item.text };
  if (isValidValue(item.value)) {
    kept.value = item.value;
  }
  return kept;
}

/* ---------------- ids ---------------- */

function isValidClientId(id) {
  return /^[A-Za-z0-9_-]{1,64}$/.test(id);
}

/* What the server accepts as a quick reply's value (1 to 200 characters, as Python counts
 * them, no control characters); a button with any other would only be refused. */
function isValidValue(value) {
  if (typeof value !== "string") {
    return false;
  }
  var length = Array.from(value).length;
  return length > 0 && length <= MAX_VALUE_LENGTH && !CONTROL_CHARACTERS.test(value) &&
    !LONE_SURROGATE.test(value);
}

/* ---------------- rendering ---------------- */

function scrollToBottom() {
  var c = els.conversation;
  c.scrollTop = c.scrollHeight;
}

function createMessageElement(role, name, text, title) {
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
  setMessageContent(node, role, name, text, title);
  return node;
}

function setMessageContent(node, role, name, text, title) {
  var safeRole = (role === "bot" || role === "agent" || role === "visitor" || role === "system") ?
    role : "other";
  node.classList.remove("chatboxMessage--bot", "chatboxMessage--agent", "chatboxMessage--visitor",
    "chatboxMessage--system", "chatboxMessage--other");
  node.classList.add("chatboxMessage--" + safeRole);
  // A notice from the chat itself ("Anna joined"), never anybody's bubble.
  node.classList.toggle("chatboxSystem", safeRole === "system");
  node.setAttribute("data-role", safeRole);
  // Always text, never markup.
  var nameNode = node.querySelector(".chatSenderName");
  nameNode.textContent = safeRole === "system" ? "" : (name || "");
  nameNode.hidden = safeRole === "system";
  if (safeRole === "agent" && title) {
    // A person answers: say who they are, as the header does.
    nameNode.appendChild(document.createTextNode(" \u00b7 "));
    var titleNode = document.createElement("span");
    titleNode.className = "chatSenderTitle";
    titleNode.textContent = title;
    nameNode.appendChild(titleNode);
  }
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
  if (typeof item.value === "string") {
    node.setAttribute("data-response-value", item.value);
  }
  node.title = TEXT_SENDING;
  node.querySelector(".chatSenderName").setAttribute("data-pending-label", TEXT_SENDING);
  els.conversation.appendChild(node);
  state.pending.set(item.client_id, node);
  retireAnsweredQuickReplies();
  scrollToBottom();
  return node;
}

/* ---------------- attachments (a bot app's text and buttons) ---------------- */

function renderAttachments(node, attachments) {
  if (!Array.isArray(attachments)) {
    return;
  }
  var quickReplies = false;
  attachments.slice(0, MAX_ATTACHMENTS).forEach(function (attachment) {
    if (!attachment || typeof attachment !== "object") {
      return;
    }
    var block = document.createElement("div");
    block.className = "chatboxAttachment";
    var text = str(attachment.text);
    var textNode = null;
    if (text.trim()) {
      textNode = document.createElement("div");
      textNode.className = "chatboxAttachmentText";
      textNode.id = "chatboxAttachment" + (++state.attachmentCount);
      textNode.textContent = text;
      block.appendChild(textNode);
    }
    var group = document.createElement("div");
    group.className = "chatboxActions";
    var actions = Array.isArray(attachment.actions) ? attachment.actions : [];
    actions.slice(0, MAX_ACTIONS).forEach(function (action) {
      var control = createAction(node, action);
      if (control) {
        group.appendChild(control);
        quickReplies = quickReplies || control.tagName === "BUTTON";
      }
    });
    if (group.childElementCount) {
      // Screen readers announce the buttons as the answers to the text above them.
      group.setAttribute("role", "group");
      if (textNode) {
        group.setAttribute("aria-labelledby", textNode.id);
      }
      block.appendChild(group);
    }
    if (block.childElementCount) {
      node.appendChild(block);
    }
  });
  if (quickReplies) {
    state.openQuickReplies.push(node);
  }
}

/* A <button> for a quick reply, an <a> for a link; null for what cannot be shown safely. */
function createAction(messageNode, action) {
  if (!action || typeof action !== "object") {
    return null;
  }
  var label = str(action.text).trim().slice(0, MAX_TEXT_LENGTH);
  if (action.type === "button") {
    var value = action.value;
    // The label becomes the visitor's message, so a button without one cannot be answered.
    if (!label || !isValidValue(value)) {
      return null;
    }
    var button = document.createElement("button");
    button.type = "button";
    button.className = "chatboxAction chatboxQuickReply";
    button.setAttribute("data-value", value);
    button.textContent = label;
    button.addEventListener("click", function () {
      if (button.disabled) {
        return;
      }
      retireQuickReplies(messageNode, value);
      queueMessage(label, value);
      // The pressed button is gone from the tab order: the visitor goes on from the input.
      if (els.form && !els.form.hidden) {
        els.input.focus();
      } else {
        els.conversation.focus();
      }
    });
    return button;
  }
  if (action.type === "link") {
    var href = httpUrl(action.link);
    if (!href) {
      return null;
    }
    var link = document.createElement("a");
    link.className = "chatboxAction chatboxLinkAction";
    link.href = href;
    link.target = "_blank";
    // The opened page gets neither this window (window.opener) nor the conversation's URL.
    link.rel = "noopener noreferrer";
    link.textContent = label || href;
    var hint = document.createElement("span");
    hint.className = "chatboxVisuallyHidden";
    hint.textContent = TEXT_NEW_TAB;
    link.appendChild(hint);
    return link;
  }
  return null;
}

/* Disables a message's quick replies for good; the one whose value was sent stays marked. */
function retireQuickReplies(node, chosenValue) {
  var buttons = node.querySelectorAll(".chatboxQuickReply");
  for (var i = 0; i < buttons.length; i++) {
    if (chosenValue !== null && buttons[i].getAttribute("data-value") === chosenValue) {
      buttons[i].classList.add("chatboxQuickReply--chosen");
    }
    buttons[i].disabled = true;
  }
  state.openQuickReplies = state.openQuickReplies.filter(function (open) {
    return open !== node;
  });
}

/* Quick replies answer the moment they are shown in: once the visitor has said anything
 * after that message (a click, a typed message, another tab's), they are out of date. */
function retireAnsweredQuickReplies() {
  state.openQuickReplies.slice().forEach(function (node) {
    for (var next = node.nextElementSibling; next; next = next.nextElementSibling) {
      if (next.getAttribute("data-role") === "visitor") {
        retireQuickReplies(node, next.getAttribute("data-response-value"));
        return;
      }
    }
  });
}

function showNotice(text, kind) {
  var node = document.createElement("div");
  node.className = "chatboxNotice" + (kind ? " chatboxNotice--" + kind : "");
  node.textContent = text;
  els.conversation.appendChild(node);
  scrollToBottom();
  return node;
}

function handleMessageFrame(frame) {
  if (frame.id === undefined || frame.id === null || frame.id === "") {
    return;
  }
  var id = String(frame.id);
  var sender = (frame.sender && typeof frame.sender === "object") ? frame.sender : {};
  var role = typeof sender.role === "string" ? sender.role : "other";
  var title = str(sender.title);
  var clientId = typeof frame.client_id === "string" ? frame.client_id : null;
  if (role === "visitor" && typeof sender.name === "string" && sender.name) {
    state.visitorName = sender.name;
  }
  if (role === "agent") {
    // The message the agent was typing has arrived.
    hideAgentTyping();
  }

  if (state.shownIds.has(id)) {
    // Replay / duplicate: already shown.  Still clear any stale pending copy.
    if (clientId) {
      dropPending(clientId);
      state.outbox.remove(clientId);
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
    setMessageContent(node, role, sender.name, frame.text, title);
  } else {
    node = createMessageElement(role, sender.name, frame.text, title);
    if (clientId) {
      node.setAttribute("data-client-id", clientId);
    }
    insertConfirmed(node);
  }
  if (clientId) {
    state.outbox.remove(clientId);
  }
  node.setAttribute("data-message-id", id);
  if (typeof frame.sent_at === "string" && frame.sent_at) {
    var when = new Date(frame.sent_at);
    if (!isNaN(when.getTime())) {
      node.title = when.toLocaleString();
    }
  }
  if (title) {
    node.setAttribute("data-sender-title", title);
  }
  if (typeof frame.response_value === "string" && frame.response_value) {
    node.setAttribute("data-response-value", frame.response_value);
  }
  renderAttachments(node, frame.attachments);
  state.shownIds.set(id, node);
  retireAnsweredQuickReplies();
  scrollToBottom();
  state.unread.update();
  renderEnd();
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
    TEXT_SOMETHING_WRONG;
  var clientId = typeof frame.client_id === "string" ? frame.client_id : null;
  if (frame.code === "no_session") {
    // Reconnecting with the same (missing) session cookie cannot succeed.
    state.fatal = true;
  }
  if (frame.code === "invalid_token") {
    // Forged or expired: the socket closes (4003) and the visitor starts afresh.
    forgetToken();
    showNotice(TEXT_TOKEN_REFUSED);
    return;
  }
  if (frame.code === "conversation_closed") {
    // Nothing was stored: the message stays pending in the outbox and goes to the new
    // conversation the (immediate) reconnect opens.
    state.reopenAtOnce = true;
    showNotice(detail);
    return;
  }
  if (frame.code === "rate_limited") {
    // Nothing was stored either: the message stays pending and goes again once allowed.
    // A refused typing frame alone leaves the visitor nothing to wait for.
    if (clientId || state.outbox.size()) {
      hideRateNotice();
      state.rateNotice = showNotice(detail);
      scheduleResend(frame.retry_after);
    }
    return;
  }
  if (clientId) {
    state.outbox.remove(clientId);
    var node = state.pending.get(clientId);
    if (node) {
      state.pending.delete(clientId);
      node.classList.remove("chatboxMessage--pending");
      node.classList.add("chatboxMessage--failed");
      node.removeAttribute("aria-busy");
      node.title = TEXT_NOT_SENT;
      var note = document.createElement("div");
      note.className = "chatboxMessageFailedNote";
      note.textContent = TEXT_NOT_SENT;
      node.appendChild(note);
    }
  }
  showNotice(detail, "error");
}

function handleStatusFrame(frame) {
  if (frame.leave_message === true) {
    setLeaveRequested(true);
    return;
  }
  state.statusFromSocket = true;
  if (typeof frame.online === "boolean") {
    state.online = frame.online;
  }
  setOutOfHours(frame.out_of_hours);
  if (typeof frame.state === "string") {
    state.conversationState = frame.state;
  }
  var a = frame.answering;
  if (a && typeof a === "object" && (a.role === "agent" || a.role === "bot")) {
    state.answering = { role: a.role, name: str(a.name), title: str(a.title) };
  } else {
    state.answering = null;
  }
  if (state.conversationState === "agent" || state.conversationState === "waiting") {
    // A person answers, or will: no need to leave a message any more.
    setLeaveRequested(false);
  }
  state.conversationText = state.conversationState === "closed" ? TEXT_CLOSED : null;
  if (frame.rating && typeof frame.rating === "object") {
    state.rating = { score: frame.rating.score, comment: str(frame.rating.comment) };
  } else if ("rating" in frame) {
    state.rating = null;
  }
  if (state.conversationState === "closed") {
    // Nothing more to listen for while the box is closed, until it opens again.
    localSet(STORAGE_CONVERSATION, null);
  } else if (state.conversationState) {
    localSet(STORAGE_CONVERSATION, "1");
  }
  renderStatus();
  renderOnline();
  renderAfter();
  renderEnd();
  if ("read_through" in frame) {
    state.unread.setReadThrough(frame.read_through);
  }
}

function handleTypingFrame(frame) {
  if (!els.typing) {
    return;
  }
  if (frame.active !== true) {
    hideAgentTyping();
    return;
  }
  var sender = (frame.sender && typeof frame.sender === "object") ? frame.sender : {};
  var name = str(sender.name) || TEXT_SOMEONE;
  els.typing.textContent = format(TEXT_IS_TYPING, { name: name });
  els.typing.hidden = false;
  if (state.agentTypingTimer !== null) {
    clearTimeout(state.agentTypingTimer);
  }
  state.agentTypingTimer = setTimeout(hideAgentTyping, AGENT_TYPING_SHOW_MS);
}

function hideAgentTyping() {
  if (state.agentTypingTimer !== null) {
    clearTimeout(state.agentTypingTimer);
    state.agentTypingTimer = null;
  }
  if (els.typing) {
    els.typing.hidden = true;
    els.typing.textContent = "";
  }
}

function handleFrame(frame) {
  if (frame.type === "message") {
    handleMessageFrame(frame);
  } else if (frame.type === "error") {
    handleErrorFrame(frame);
  } else if (frame.type === "status") {
    if (!state.statusFromSocket) {
      // The first status of this socket: it is really connected.
      setStatus(null);
      flushOutbox();
    }
    handleStatusFrame(frame);
  } else if (frame.type === "online") {
    setOutOfHours(frame.out_of_hours);
    if (typeof frame.online === "boolean") {
      setOnline(frame.online);
    }
  } else if (frame.type === "typing") {
    handleTypingFrame(frame);
  } else if (frame.type === "read") {
    // This visitor read the conversation in some tab: no tab counts it unread any more.
    state.unread.setReadThrough(frame.through);
  }
  // Unknown frame types are ignored.
}

/* ---------------- status line ---------------- */

// The connection's trouble matters more than the conversation's state, so it wins; being
// out of business hours comes last.
function renderStatus() {
  if (!els.status) {
    return;
  }
  var text = state.connectionText || state.conversationText ||
    (state.outOfHours ? TEXT_OUT_OF_HOURS : null);
  if (text) {
    els.status.textContent = text;
    els.status.hidden = false;
  } else {
    els.status.textContent = "";
    els.status.hidden = true;
  }
}

function setStatus(text) {
  state.connectionText = text || null;
  renderStatus();
}

/* Outside business hours or not, as the server said (a frame without it says nothing). */
function setOutOfHours(outOfHours) {
  if (typeof outOfHours === "boolean" && outOfHours !== state.outOfHours) {
    state.outOfHours = outOfHours;
    renderStatus();
  }
}

/* ---------------- online / who answers ---------------- */

function setOnline(online) {
  state.online = online;
  renderOnline();
}

// Nobody at all can answer this visitor now (no bot, no person accepting chats, and no
// agent already in this conversation).
function nobodyAnswers() {
  return state.online === false && !(state.answering && state.answering.role === "agent");
}

function renderOnline() {
  if (state.online !== null) {
    var value = state.online ? "true" : "false";
    els.launcher.setAttribute("data-online", value);
    els.box.setAttribute("data-online", value);
    if (els.launcherLabel) {
      els.launcherLabel.textContent = state.online ? TEXT_LAUNCHER_ONLINE : TEXT_LAUNCHER_OFFLINE;
    }
  }
  renderLeave();
  renderHeader();
}

function renderHeader() {
  var a = state.answering;
  var bot = state.botInfo;
  var name = "";
  var title = "";
  var thumb = "";
  var initial = "";
  if (a && a.role === "agent") {
    name = a.name;
    title = a.title;
    initial = name ? name.charAt(0).toUpperCase() : "";
  } else {
    // The bot answers (or nobody yet): its profile is the one /restapi/get-agent-info gives.
    name = bot ? bot.name : (a ? a.name : "");
    title = bot ? bot.title : (a ? a.title : "");
    thumb = bot ? bot.thumb : "";
  }
  var heading = name ? format(TEXT_CHAT_WITH, { name: name }) : "";
  if (state.conversationState === "waiting") {
    title = TEXT_WAITING;
  } else if (nobodyAnswers()) {
    // Not the bot's face pretending to listen: say that only a message can be left.
    title = TEXT_AWAY;
    heading = TEXT_LAUNCHER_OFFLINE;
  }
  if (heading) {
    els.title.textContent = "";
    var span = document.createElement("span");
    span.textContent = heading;
    els.title.appendChild(span);
  }
  els.agentName.textContent = name;
  els.agentTitle.textContent = title;
  if (els.agentThumb) {
    if (thumb) {
      els.agentThumb.src = thumb;
      els.agentThumb.alt = name ? format(TEXT_AVATAR, { name: name }) : TEXT_AGENT_AVATAR;
      els.agentThumb.hidden = false;
      if (els.agentInitial) {
        els.agentInitial.hidden = true;
      }
    } else if (initial && els.agentInitial) {
      // A person has no picture here: their initial, not the bot's face.
      els.agentInitial.textContent = initial;
      els.agentInitial.hidden = false;
      els.agentThumb.hidden = true;
    }
  }
}

function fetchChatStatus() {
  return fetch(STATUS_URL, {
    headers: { "Accept": "application/json" },
    credentials: "same-origin",  // embedded: no cookie crosses sites, the status needs none
    cache: "no-store"
  }).then(function (resp) {
    if (!resp.ok) {
      throw new Error("HTTP " + resp.status);
    }
    return resp.json();
  }).then(function (data) {
    // An open socket's status is fresher than an HTTP answer that may have crossed it.
    if (data && typeof data.online === "boolean" && !(socket.isOpen() && state.statusFromSocket)) {
      setOutOfHours(data.out_of_hours);
      setOnline(data.online);
    }
  }).catch(function () {
    /* unknown stays unknown; the next poll or the socket tells */
  });
}

function pollChatStatus() {
  if (!state.open && document.visibilityState !== "hidden") {
    fetchChatStatus();
  }
}

/* ---------------- agent info ---------------- */

function applyAgentInfo(info) {
  state.botInfo = {
    name: str(info.AgentName),
    title: str(info.AgentTitle),
    // A static path is the chat server's: resolved against it when embedded elsewhere.
    thumb: str(info.AgentThumbImagePath) ? chatUrl(str(info.AgentThumbImagePath)) : ""
  };
  renderHeader();
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
    headers: visitorHeaders({ "Accept": "application/json" }),
    credentials: "same-origin",
    signal: controller ? controller.signal : undefined
  }).then(function (resp) {
    if (resp.status === 403 && EMBEDDED && localGet(STORAGE_TOKEN)) {
      // A forged or expired token: forgotten, and asked again as a new visitor.
      forgetToken();
      state.retryAgentInfo = true;
    }
    if (!resp.ok) {
      throw new Error("HTTP " + resp.status);
    }
    return resp.json();
  }).then(function (info) {
    if (info && typeof info === "object") {
      if (EMBEDDED && typeof info.visitor_token === "string" && info.visitor_token) {
        localSet(STORAGE_TOKEN, info.visitor_token);
      }
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
    if (state.retryAgentInfo) {
      state.retryAgentInfo = false;
      return loadAgentInfo();
    }
  });
  return state.agentInfoPromise;
}

/* ---------------- leave a message ---------------- */

function setLeaveRequested(requested) {
  state.leaveRequested = requested;
  sessionSet(STORAGE_LEAVE, requested ? "1" : null);
  renderLeave();
}

function renderLeave() {
  if (!els.leave) {
    return;
  }
  var nobody = nobodyAnswers();
  var wasHidden = els.leave.hidden;
  els.leave.hidden = !(nobody || state.leaveRequested);
  // The box grows while the form is shown below a conversation, so both have some room.
  els.box.classList.toggle("chatbox--leave",
    !els.leave.hidden && els.conversation.childElementCount > 0);
  // Nobody would read a chat message now: the form replaces the chat's input.  When only
  // the person asked for is missing, the bot still answers, so both stay.
  if (els.form) {
    var inputHadFocus = document.activeElement === els.input;
    els.form.hidden = nobody;
    if (nobody && inputHadFocus && els.leaveName) {
      els.leaveName.focus();
    }
  }
  if (wasHidden && !els.leave.hidden) {
    // The conversation just got shorter: keep its latest message in view.
    scrollToBottom();
  }
}

/* Who the visitor is, for the chat's HTTP endpoints: the session cookie on the chat's own
 * site; embedded on another site, the signed token kept in that site's localStorage (an
 * empty one asks for a new visitor). */
function visitorHeaders(headers) {
  if (EMBEDDED) {
    headers[TOKEN_HEADER] = localGet(STORAGE_TOKEN) || "";
  }
  return headers;
}

function forgetToken() {
  if (EMBEDDED) {
    localSet(STORAGE_TOKEN, null);
    state.agentInfoLoaded = false;  // the next opening asks for a new visitor
  }
}

/* A form POST: the token stands for the visitor when embedded (no cookie, so no CSRF token
 * is needed); on the chat's own site, Django's CSRF token. */
function formHeaders() {
  var headers = {
    "Accept": "application/json",
    "Content-Type": "application/x-www-form-urlencoded;charset=UTF-8"
  };
  if (!EMBEDDED) {
    headers["X-CSRFToken"] = csrfToken();
  }
  return visitorHeaders(headers);
}

/* A form's fields (URLSearchParams) POSTed to one of the chat's endpoints, answered in JSON. */
function postForm(url, body) {
  return fetch(url, {
    method: "POST",
    credentials: "same-origin",
    headers: formHeaders(),
    body: body.toString()
  });
}

function readCookie(name) {
  var parts = document.cookie ? document.cookie.split(";") : [];
  for (var i = 0; i < parts.length; i++) {
    var part = parts[i].trim();
    if (part.indexOf(name + "=") === 0) {
      try {
        return decodeURIComponent(part.slice(name.length + 1));
      } catch (e) {
        return part.slice(name.length + 1);
      }
    }
  }
  return "";
}

function csrfToken() {
  var token = readCookie(CSRF_COOKIE);
  if (!token && els.leave) {
    // The form's own token works too (e.g. if the cookie is HttpOnly).
    var hidden = els.leave.querySelector("input[name=csrfmiddlewaretoken]");
    token = hidden ? hidden.value : "";
  }
  return token;
}

function leaveInput(field) {
  return { name: els.leaveName, email: els.leaveEmail, text: els.leaveText }[field] || null;
}

function leaveErrorElement(input) {
  return input ? document.getElementById(input.id + "Error") : null;
}

function setFieldError(field, message) {
  var input = leaveInput(field);
  var errorEl = leaveErrorElement(input);
  if (!input || !errorEl) {
    return false;
  }
  errorEl.textContent = message || "";
  errorEl.hidden = !message;
  if (message) {
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", errorEl.id);
  } else {
    input.removeAttribute("aria-invalid");
    input.removeAttribute("aria-describedby");
  }
  return true;
}

function setLeaveResult(text, kind) {
  if (!els.leaveResult) {
    return;
  }
  els.leaveResult.textContent = text || "";
  els.leaveResult.className = "chatboxLeaveResult" + (kind ? " chatboxLeaveResult--" + kind : "");
}

function errorMessages(list) {
  if (!Array.isArray(list)) {
    return "";
  }
  return list.map(function (e) {
    return e && typeof e === "object" ? str(e.message) : str(e);
  }).filter(Boolean).join(" ");
}

function showLeaveErrors(errors) {
  var firstInvalid = null;
  var other = [];
  Object.keys(errors).forEach(function (field) {
    var message = errorMessages(errors[field]);
    if (!message) {
      return;
    }
    if (setFieldError(field, message)) {
      if (!firstInvalid || LEAVE_FIELDS.indexOf(field) < LEAVE_FIELDS.indexOf(firstInvalid)) {
        firstInvalid = field;
      }
    } else {
      other.push(message);
    }
  });
  setLeaveResult(other.length ? other.join(" ") : TEXT_LEAVE_INVALID, "error");
  if (firstInvalid) {
    leaveInput(firstInvalid).focus();
  }
}

function submitLeaveMessage() {
  if (state.leaveSending) {
    return;
  }
  LEAVE_FIELDS.forEach(function (field) {
    setFieldError(field, "");
  });
  var body = new URLSearchParams();
  body.set("name", els.leaveName.value);
  body.set("email", els.leaveEmail.value);
  body.set("text", els.leaveText.value);
  body.set("page", window.location.pathname);
  state.leaveSending = true;
  els.leaveSend.disabled = true;
  els.leave.setAttribute("aria-busy", "true");
  setLeaveResult(TEXT_LEAVE_SENDING);

  postForm(LEAVE_URL, body).then(function (resp) {
    if (resp.status === 201) {
      els.leave.reset();  // clears what was typed; the hidden CSRF input keeps its token
      setLeaveResult(TEXT_LEAVE_THANKS, "ok");
      // Sent: other pages need not offer it again (this one keeps the thanks visible).
      sessionSet(STORAGE_LEAVE, null);
      return null;
    }
    if (resp.status === 400 || resp.status === 413) {
      // 413: the request body was over the server's limit, which it says in words; a proxy's
      // own 413 page is not JSON.
      var fallback = resp.status === 413 ? TEXT_LEAVE_TOO_LARGE : TEXT_LEAVE_FAILED;
      return resp.json().then(function (data) {
        if (data && data.errors && typeof data.errors === "object") {
          showLeaveErrors(data.errors);
        } else {
          setLeaveResult(fallback, "error");
        }
      }, function () {
        setLeaveResult(fallback, "error");
      });
    }
    setLeaveResult(resp.status === 403 ? TEXT_LEAVE_FORBIDDEN : TEXT_LEAVE_FAILED, "error");
    return null;
  }, function () {
    // Nothing reached the server: what was typed stays for another try.
    setLeaveResult(TEXT_LEAVE_NETWORK, "error");
  }).then(function () {
    state.leaveSending = false;
    els.leaveSend.disabled = false;
    els.leave.removeAttribute("aria-busy");
  });
}

/* ---------------- ending, rating, transcript ---------------- */

function conversationLive() {
  return state.conversationState === "bot" || state.conversationState === "waiting" ||
    state.conversationState === "agent";
}

/* "End chat" while the conversation is live and the visitor has said something in it. */
function renderEnd() {
  if (!els.end) {
    return;
  }
  var said = els.conversation.querySelector('.chatboxMessage[data-role="visitor"]') !== null;
  els.end.hidden = !(conversationLive() && state.statusFromSocket && said);
}

function endChat() {
  if (socket.send({ type: "end" })) {
    els.end.hidden = true;
    state.focusAfter = true;  // the rating takes focus when the closed status arrives
  }
}

/* Closed: ask once how it was, offer the transcript and a new chat. */
function renderAfter() {
  if (!els.after) {
    return;
  }
  var closed = state.conversationState === "closed" && state.statusFromSocket;
  var wasHidden = els.after.hidden;
  els.after.hidden = !closed;
  if (!closed) {
    return;
  }
  els.rating.hidden = state.rating !== null;
  if (state.rating !== null) {
    setResult(els.ratingResult, TEXT_RATING_THANKS);
  }
  if (els.transcript) {
    els.transcript.hidden = !TRANSCRIPT_URL;
  }
  if (wasHidden) {
    scrollToBottom();
    if (state.focusAfter && state.open) {
      var first = els.rating.hidden ? els.newChat : els.rating.querySelector("input");
      first.focus();
    }
  }
  state.focusAfter = false;
}

function setResult(node, text, kind) {
  node.textContent = text || "";
  node.className = "chatboxAfterResult" + (kind ? " chatboxAfterResult--" + kind : "");
}

function submitRating() {
  var chosen = els.rating.querySelector("input[name=score]:checked");
  if (!chosen) {
    setResult(els.ratingResult, TEXT_RATING_CHOOSE, "error");
    els.rating.querySelector("input[name=score]").focus();
    return;
  }
  var frame = { type: "rate", score: Number(chosen.value) };
  var comment = els.ratingComment.value.trim();
  if (comment) {
    frame.comment = comment;
  }
  // The status that follows carries the rating: every tab then stops asking.
  if (socket.send(frame)) {
    setResult(els.ratingResult, TEXT_SENDING);
  } else {
    setResult(els.ratingResult, TEXT_RECONNECTING, "error");
  }
}

function submitTranscript() {
  if (state.transcriptSending || !TRANSCRIPT_URL) {
    return;
  }
  var field = els.transcriptEmail;
  var errorEl = els.transcriptError;
  errorEl.hidden = true;
  field.removeAttribute("aria-invalid");
  field.removeAttribute("aria-describedby");
  var body = new URLSearchParams();
  body.set("email", field.value.trim());
  state.transcriptSending = true;
  els.transcriptSend.disabled = true;
  setResult(els.transcriptResult, TEXT_TRANSCRIPT_SENDING);
  postForm(TRANSCRIPT_URL, body).then(function (resp) {
    if (resp.status === 201) {
      setResult(els.transcriptResult, TEXT_TRANSCRIPT_SENT);
      return null;
    }
    return resp.json().then(function (data) {
      var errors = (data && data.errors) || {};
      var fieldMessage = errorMessages(errors.email);
      if (fieldMessage) {
        errorEl.textContent = fieldMessage;
        errorEl.hidden = false;
        field.setAttribute("aria-invalid", "true");
        field.setAttribute("aria-describedby", errorEl.id);
        setResult(els.transcriptResult, "");
        field.focus();
        return;
      }
      // Too many, nothing to send, or the mail server down: the server says which.
      setResult(els.transcriptResult, errorMessages(errors.__all__) || TEXT_TRANSCRIPT_FAILED,
        "error");
    }, function () {
      setResult(els.transcriptResult, TEXT_TRANSCRIPT_FAILED, "error");
    });
  }, function () {
    setResult(els.transcriptResult, TEXT_TRANSCRIPT_NETWORK, "error");
  }).then(function () {
    state.transcriptSending = false;
    els.transcriptSend.disabled = false;
  });
}

/* A new conversation after a closed one: the socket opens it afresh. */
function newChat() {
  state.rating = null;
  state.conversationState = null;
  els.rating.reset();
  setResult(els.ratingResult, "");
  setResult(els.transcriptResult, "");
  els.conversation.textContent = "";
  state.shownIds.clear();
  state.openQuickReplies = [];
  state.unread.reset();
  els.after.hidden = true;
  socket.close(1000, "New chat");
  state.statusFromSocket = false;
  socket.again();
  focusFirstField();
}

/* ---------------- typing ---------------- */

// Whether the visitor is typing, told to whoever answers.
var typing = typingNotifier(function (active) {
  return socket.send({ type: "typing", active: active });
});

function onVisitorInput() {
  typing.input(els.input.value.trim() !== "", "visitor");
}

function stopTyping(send) {
  typing.stop(send);
}

/* ---------------- WebSocket ---------------- */

/* The page tells the socket where the visitor is, so the bot can answer about
 * the product on it ("how much is this?"). */
function socketUrl() {
  var query = "?page=" + encodeURIComponent(window.location.pathname);
  // The visitor's language, for what the server says (the bot's fixed phrases, notices).
  if (document.documentElement.lang) {
    query += "&lang=" + encodeURIComponent(document.documentElement.lang);
  }
  if (!state.open) {
    // The box is closed: listen to the visitor's conversation, never start one.
    query += "&resume=1";
  }
  if (EMBEDDED && localGet(STORAGE_TOKEN)) {
    query += "&token=" + encodeURIComponent(localGet(STORAGE_TOKEN));
  }
  var productId = document.body.getAttribute("data-product-id");
  if (productId) {
    query += "&product=" + encodeURIComponent(productId);
  }
  return siteSocketUrl(WS_PATH) + query;
}

function sendFrame(item) {
  var frame = { type: "message", text: item.text, client_id: item.client_id };
  if (typeof item.value === "string") {
    frame.value = item.value;
  }
  return socket.send(frame);
}

function flushOutbox() {
  // Resend everything not yet acknowledged; the server de-duplicates by client_id.
  state.outbox.items().forEach(function (item) {
    sendFrame(item);
  });
}

function clearResendTimer() {
  if (state.resendTimer !== null) {
    clearTimeout(state.resendTimer);
    state.resendTimer = null;
  }
}

function hideRateNotice() {
  if (state.rateNotice) {
    state.rateNotice.remove();
    state.rateNotice = null;
  }
}

/* No resend is due any more (the socket closed): neither is the wait the notice asks for. */
function cancelResend() {
  clearResendTimer();
  hideRateNotice();
}

/* The server's latest "retry_after" counts: it is measured from that refusal. */
function scheduleResend(seconds) {
  clearResendTimer();
  state.resendTimer = setTimeout(function () {
    state.resendTimer = null;
    // "Wait N s" is over; a further refusal shows a fresh notice.
    hideRateNotice();
    if (socket.isOpen()) {
      flushOutbox();
    }
  }, retryAfterMs(seconds));
}

// The chat's socket: it comes back by itself after a drop while the chat is open.
var socket = reconnectingSocket({
  url: socketUrl,
  onConnecting: function (attempt) {
    if (attempt === 0) {
      setStatus(TEXT_CONNECTING);
    }
  },
  // Connected means the server's first "status" frame, not the handshake: the server
  // accepts before it has joined the channel layer, and without Redis it closes again.
  onFrame: function (frame) {
    socket.live();
    handleFrame(frame);
  },
  onClose: onSocketClose,
  onRetry: function () {
    setStatus(TEXT_RECONNECTING);
  }
});

/* The box is open, or closed on a page of a visitor who has a conversation: its replies
 * must reach the launcher's count. */
function wantsSocket() {
  return state.open || localGet(STORAGE_CONVERSATION) === "1";
}

function connect() {
  if (!wantsSocket()) {
    return;
  }
  if (state.fatal) {
    setStatus(TEXT_NO_SESSION);
    return;
  }
  if (state.open && !state.agentInfoLoaded && !state.agentInfoPromise && EMBEDDED &&
      !localGet(STORAGE_TOKEN)) {
    // An embedded visitor without a token gets one from the opening request first.
    loadAgentInfo().then(connect);
    return;
  }
  if (state.agentInfoPromise) {
    // The box's opening request starts the visitor's session, which the socket needs: a
    // message sent at once waits for it.
    state.agentInfoPromise.then(connect);
    return;
  }
  socket.connect();
}

function onSocketClose(event) {
  state.statusFromSocket = false;
  // A new connection starts with a new allowance and sends the outbox when it opens.
  cancelResend();
  stopTyping(false);
  hideAgentTyping();
  var reopen = event.code === CLOSED_CLOSE_CODE || state.reopenAtOnce;
  state.reopenAtOnce = false;
  if (state.fatal) {
    setStatus(TEXT_NO_SESSION);
    return "stop";
  }
  if (event.code === NOTHING_TO_RESUME_CLOSE_CODE) {
    // No open conversation: this closed box has nothing to listen for.
    localSet(STORAGE_CONVERSATION, null);
    return state.open ? "now" : "stop";
  }
  if (event.code === INVALID_TOKEN_CLOSE_CODE) {
    forgetToken();
    if (state.open) {
      loadAgentInfo().then(connect);
    }
    return "stop";
  }
  if (!wantsSocket()) {
    return "stop";
  }
  var now = Date.now();
  if (reopen && now - state.lastFastReconnect >= FAST_RECONNECT_MIN_GAP_MS) {
    // The conversation was closed, not the connection lost: open the new one at once.
    state.lastFastReconnect = now;
    return "now";
  }
  return "later";
}

function reconnectSoon() {
  // Network came back or the tab became visible: don't wait out a long backoff.
  if (wantsSocket() && !state.fatal) {
    socket.soon();
  }
}

function disconnect() {
  cancelResend();
  stopTyping(true);
  hideAgentTyping();
  state.statusFromSocket = false;
  socket.close(1000, "Chat closed");
}

/* ---------------- open / close ---------------- */

function focusFirstField() {
  if (els.form && !els.form.hidden) {
    els.input.focus();
  } else if (els.leave && !els.leave.hidden && els.leaveName) {
    els.leaveName.focus();
  }
}

function openChat(options) {
  var focus = !options || options.focus !== false;
  if (!state.open) {
    state.open = true;
    state.userClosed = false;
    socket.live();  // a fresh start: no backoff left from before
    els.box.hidden = false;
    els.launcher.setAttribute("aria-expanded", "true");
    els.launcher.classList.add("chatboxLauncher--open");
    sessionSet(STORAGE_OPEN, "1");
    state.sheet.opened();
    // What it shows is read now, in every tab.
    state.unread.update();
    // Show anything typed (and not yet acknowledged) before a navigation or reload.
    state.outbox.items().forEach(showPending);
    setStatus(TEXT_CONNECTING);
    // Fetch the agent info first, then connect (one round trip more, but the header is
    // filled before the greeting arrives).  connect() is a no-op if the chat was closed
    // meanwhile.
    loadAgentInfo().then(connect);
  }
  if (focus) {
    focusFirstField();
  }
}

function closeChat() {
  if (!state.open) {
    return;
  }
  state.open = false;
  state.userClosed = true;
  if (localGet(STORAGE_CONVERSATION) === "1" && socket.current()) {
    // The socket stays: replies to the conversation still reach the launcher's count.
    stopTyping(true);
  } else {
    disconnect();
  }
  setStatus(null);
  els.box.hidden = true;
  els.launcher.setAttribute("aria-expanded", "false");
  els.launcher.classList.remove("chatboxLauncher--open");
  sessionSet(STORAGE_OPEN, null);
  state.sheet.closed();
  els.launcher.focus();
  // The launcher asks for the status again while no socket tells it.
  fetchChatStatus();
}

function submitMessage() {
  var text = els.input.value;
  if (text.length > MAX_TEXT_LENGTH) {
    text = text.slice(0, MAX_TEXT_LENGTH);
  }
  if (text.trim() === "") {
    els.input.value = "";
    stopTyping(true);
    return;
  }
  queueMessage(text.trim(), null);
  els.input.value = "";
  stopTyping(true);
}

/* A typed message or a pressed quick reply (``value`` its value, else null): shown pending
 * and kept in the outbox until the server acknowledges it. */
function queueMessage(text, value) {
  var item = { client_id: makeClientId(), text: text };
  if (value !== null) {
    item.value = value;
  }
  state.outbox.add(item);
  showPending(item);
  // While refused for sending too fast, it waits for the scheduled resend of the outbox.
  if (state.resendTimer === null && !sendFrame(item) && !socket.current()) {
    // Not connected: it stays in the outbox and is sent on (re)connect.
    if (!socket.waiting()) {
      connect();
    }
  }
}

/* ---------------- init ---------------- */

function init(options) {
  els.box = document.getElementById("chatbox");
  els.launcher = document.getElementById("chatboxLauncher");
  if (!els.box || !els.launcher) {
    return;
  }
  els.launcherLabel = els.launcher.querySelector(".chatboxLauncherLabel");
  els.title = document.getElementById("chatboxTitle");
  els.close = document.getElementById("chatboxCloseControl");
  els.conversation = document.getElementById("chatboxConversationContainer");
  els.form = document.getElementById("chatboxMsgInputContainer");
  els.input = document.getElementById("chatboxInputField");
  els.send = document.getElementById("chatboxSendButton");
  els.status = document.getElementById("chatboxStatus");
  els.typing = document.getElementById("chatboxTyping");
  els.template = document.getElementById("chatboxMessageTemplate");
  els.agentName = els.box.querySelector(".chatboxAgentName");
  els.agentTitle = els.box.querySelector(".chatboxAgentTitle");
  els.agentThumb = els.box.querySelector(".chatboxAgentThumbnail img");
  els.agentInitial = els.box.querySelector(".chatboxAgentInitial");
  if (els.agentThumb) {
    // A picture that cannot load (another host, gone): the initial instead of a broken image.
    els.agentThumb.addEventListener("error", function () {
      var name = els.agentName.textContent;
      if (els.agentInitial && name) {
        els.agentInitial.textContent = name.charAt(0).toUpperCase();
        els.agentInitial.hidden = false;
        els.agentThumb.hidden = true;
      }
    });
  }
  els.leave = document.getElementById("chatboxLeaveMessage");
  els.leaveName = document.getElementById("chatboxLeaveName");
  els.leaveEmail = document.getElementById("chatboxLeaveEmail");
  els.leaveText = document.getElementById("chatboxLeaveText");
  els.leaveSend = document.getElementById("chatboxLeaveSend");
  els.leaveResult = document.getElementById("chatboxLeaveResult");
  if (els.leave && !(els.leaveName && els.leaveEmail && els.leaveText && els.leaveSend)) {
    els.leave = null;  // an incomplete form would only fail later
  }
  els.end = document.getElementById("chatboxEndControl");
  els.after = document.getElementById("chatboxAfter");
  els.rating = document.getElementById("chatboxRating");
  els.ratingComment = document.getElementById("chatboxRatingComment");
  els.ratingResult = document.getElementById("chatboxRatingResult");
  els.transcript = document.getElementById("chatboxTranscript");
  els.transcriptEmail = document.getElementById("chatboxTranscriptEmail");
  els.transcriptError = document.getElementById("chatboxTranscriptEmailError");
  els.transcriptSend = document.getElementById("chatboxTranscriptSend");
  els.transcriptResult = document.getElementById("chatboxTranscriptResult");
  els.newChat = document.getElementById("chatboxNewChat");

  state.sheet = phoneSheet(els.box);
  state.unread = unreadTracker({
    box: els.box,
    launcher: els.launcher,
    conversation: els.conversation,
    badge: els.launcher.querySelector(".chatboxLauncherBadge"),
    unreadText: document.getElementById("chatboxUnread"),
    announcer: document.getElementById("chatboxAnnouncer"),
    soundControl: document.getElementById("chatboxSoundControl"),
    soundBotReplies: config.sound_bot_replies === true,
    seen: function () {
      return state.open && document.visibilityState === "visible";
    },
    markRead: function (id) {
      socket.send({ type: "read", through: id });
    }
  });

  state.outbox = outbox({ storageKey: STORAGE_OUTBOX, valid: validOutboxItem });
  state.leaveRequested = sessionGet(STORAGE_LEAVE) === "1";

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
  els.input.addEventListener("input", onVisitorInput);
  els.end.addEventListener("click", endChat);
  els.rating.addEventListener("submit", function (event) {
    event.preventDefault();
    submitRating();
  });
  els.transcript.addEventListener("submit", function (event) {
    event.preventDefault();
    submitTranscript();
  });
  els.newChat.addEventListener("click", newChat);
  if (els.leave) {
    els.leave.addEventListener("submit", function (event) {
      event.preventDefault();
      submitLeaveMessage();
    });
    LEAVE_FIELDS.forEach(function (field) {
      // A corrected field loses its old complaint.
      leaveInput(field).addEventListener("input", function () {
        if (leaveInput(field).getAttribute("aria-invalid") === "true") {
          setFieldError(field, "");
        }
      });
    });
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
      pollChatStatus();
    }
    // Shown again with the box open: what arrived meanwhile is read now.
    state.unread.update();
  });
  window.addEventListener("pagehide", function () {
    // Leaving the page: close quietly (no reconnect from a page being unloaded).
    if (socket.current()) {
      stopTyping(true);
      state.statusFromSocket = false;
      cancelResend();
    }
    socket.close(1000, "Page unloaded");
  });
  window.addEventListener("pageshow", function (event) {
    // Restored from the back/forward cache: reconnect if the chat is open.
    if (event.persisted && wantsSocket()) {
      socket.live();
      connect();
    }
  });

  els.launcher.hidden = false;  // from here on a click opens the chat
  renderLeave();
  fetchChatStatus();
  window.setInterval(pollChatStatus, STATUS_POLL_MS);

  if ((options && options.open) || sessionGet(STORAGE_OPEN) === "1") {
    openChat({ focus: Boolean(options && options.open) });
  } else if (wantsSocket()) {
    // Closed, with a conversation: listen for its replies (the unread count).
    connect();
  }
}

/* Called by the loader (embed.js) once the box's markup is on the page: ``open`` when the
 * visitor's click on the launcher is what loaded the chat. Starts once. */
var started = false;
export function start(options) {
  if (started) {
    if (options && options.open) {
      openChat({ focus: true });
    }
    return;
  }
  started = true;
  init(options);
}
