/*
 * Never miss a reply: while the chat box is closed or its tab is hidden, new messages from
 * the bot or a person count as unread. The count shows on the launcher (a badge, and in the
 * launcher's name for screen readers), in the tab's title ("(2) New message · Shop"), is
 * said once by a live region, and a short sound plays.
 *
 * Why it is right after reloads and in every tab: the count is not kept here. The server
 * records how far the visitor has read ("read_through", a message id, in the status frame,
 * moved by {"type": "read"} and told to every tab), and the count is the bot's and people's
 * messages shown after that one. Opening the box in any tab moves it, so every tab clears.
 *
 * Sound: on by default for a person's replies, off for the bot's (the site may turn them on:
 * config.sound_bot_replies); the visitor can mute it, remembered in localStorage. A reply
 * sounds once however many tabs show it and however often the page reloads: the newest
 * message that sounded is remembered too. The box dispatches "chatbox:sound" (detail: the
 * sender's role) on itself when it plays, for sites that want to react.
 */
import { localGet, localSet, playNotes } from "./common.js";
import { ngettext, format } from "./i18n.js";

var STORAGE_MUTED = "chatbox:muted";
var STORAGE_SOUNDED = "chatbox:sounded";
var ALERTING_ROLES = { bot: true, agent: true };

/* Two rising notes, higher and brighter than the staff console's alert. */
function chime() {
  return playNotes([[880, 0], [1318.5, 0.09]], { type: "sine", peak: 0.18, length: 0.22 });
}

/* ``then()`` once for the visitor per reply ``id``: not again in this tab, nor in another tab
 * showing the same reply, nor in this page after a reload. The tabs take turns (Web Locks) to
 * check and mark the newest reply that sounded; without Web Locks (plain http) two tabs may
 * rarely both chime. */
function claim(id, then) {
  function decide() {
    if (localGet(STORAGE_SOUNDED) === id) {
      return;
    }
    localSet(STORAGE_SOUNDED, id);
    then();
  }
  if (navigator.locks && typeof navigator.locks.request === "function") {
    navigator.locks.request("chatbox:sound", decide).catch(function () { /* no sound */ });
  } else {
    decide();
  }
}

/* options: box, launcher, conversation, badge, unreadText, announcer, soundControl,
 * soundBotReplies, seen() (the visitor can see the conversation now), markRead(id). */
export function unreadTracker(options) {
  var readThrough = null;      // the server's "read_through"
  var shownCount = -1;         // what the launcher last showed
  var baseTitle = document.title;
  var titled = false;

  function muted() {
    return localGet(STORAGE_MUTED) === "1";
  }

  function renderSoundControl() {
    if (options.soundControl) {
      options.soundControl.setAttribute("aria-pressed", muted() ? "false" : "true");
    }
  }

  /* The messages of others after the one read through, in the order shown. */
  function unreadMessages() {
    var nodes = options.conversation.querySelectorAll(".chatboxMessage[data-message-id]");
    var unread = [];
    var counting = readThrough === null;
    for (var i = 0; i < nodes.length; i++) {
      var node = nodes[i];
      if (counting && ALERTING_ROLES[node.getAttribute("data-role")]) {
        unread.push(node);
      }
      if (node.getAttribute("data-message-id") === readThrough) {
        counting = true;
        unread = [];
      }
    }
    return unread;
  }

  function lastShownId() {
    var nodes = options.conversation.querySelectorAll(".chatboxMessage[data-message-id]");
    return nodes.length ? nodes[nodes.length - 1].getAttribute("data-message-id") : null;
  }

  function render(unread) {
    var count = unread.length;
    if (count === shownCount) {
      return;
    }
    var grew = count > shownCount && shownCount !== -1;
    shownCount = count;
    options.badge.hidden = count === 0;
    options.badge.textContent = count > 99 ? "99+" : String(count);
    var words = count ? format(ngettext("%(count)s new message", "%(count)s new messages", count),
      { count: count }) : "";
    options.unreadText.textContent = words ? ", " + words : "";
    options.launcher.setAttribute("data-unread", String(count));
    if (grew && options.announcer) {
      options.announcer.textContent = words;
    } else if (!count && options.announcer) {
      options.announcer.textContent = "";
    }
    renderTitle(count);
  }

  function renderTitle(count) {
    if (count > 0) {
      if (!titled) {
        baseTitle = document.title;
      }
      titled = true;
      document.title = format(ngettext("(%(count)s) New message \u00b7 %(title)s",
        "(%(count)s) New messages \u00b7 %(title)s", count), { count: count, title: baseTitle });
    } else if (titled) {
      titled = false;
      document.title = baseTitle;
    }
  }

  function maybeSound(unread) {
    if (!unread.length) {
      return;
    }
    var newest = unread[unread.length - 1];
    var id = newest.getAttribute("data-message-id");
    var role = newest.getAttribute("data-role");
    claim(id, function () {
      if (muted() || (role === "bot" && !options.soundBotReplies)) {
        return;
      }
      if (chime()) {
        options.box.dispatchEvent(new CustomEvent("chatbox:sound", {
          bubbles: true, detail: { role: role }
        }));
      }
    });
  }

  /* After anything changed: shown messages, the read mark, the box opening or the tab
   * showing. What the visitor can see is read at once; the rest counts. */
  function update() {
    if (options.seen()) {
      var last = lastShownId();
      if (last !== null && last !== readThrough && unreadMessages().length) {
        readThrough = last;
        options.markRead(last);
      }
      render([]);
      return;
    }
    var unread = unreadMessages();
    render(unread);
    maybeSound(unread);
  }

  if (options.soundControl) {
    options.soundControl.addEventListener("click", function () {
      localSet(STORAGE_MUTED, muted() ? null : "1");
      renderSoundControl();
    });
    window.addEventListener("storage", function (event) {
      if (event.key === STORAGE_MUTED) {
        renderSoundControl();
      }
    });
  }
  renderSoundControl();

  return Object.freeze({
    update: update,
    /* The server's mark: from the status frame, or another tab's "read". */
    setReadThrough: function (id) {
      readThrough = typeof id === "string" && id ? id : null;
      update();
    },
    /* A new conversation: nothing of the old one is unread. */
    reset: function () {
      readThrough = null;
      render([]);
    },
    unread: function () {
      return unreadMessages().length;
    }
  });
}
