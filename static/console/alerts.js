/*
 * Desktop notifications and a sound, so that an agent working in another tab or window hears
 * of what needs them: (a) a visitor starts waiting for a person, (b) the visitor of a
 * conversation the agent holds writes while the console's tab is hidden.
 *
 * A desktop notification shows only while the tab is hidden: in a visible console the alert
 * bar and the unread counts say it already. The browser's permission is asked once, and only
 * when the agent presses "Turn on desktop notifications" (browsers ignore or penalise asking
 * on load, and an agent should decide). Pressing a notification brings the console forward
 * with that conversation open.
 *
 * The sound plays for (a) always, and for (b) while the tab is hidden; the agent can switch
 * it off, remembered in this browser. It is made on the spot (Web Audio), no file to load,
 * and lower than the visitor's chime (chat/notify.js), so the two are not confused.
 */
import { localGet, localSet, playNotes, str } from "../chat/common.js";

var STORAGE_SOUND = "console:sound";
var TEXT_LENGTH = 140;

function supported() {
  return typeof window.Notification === "function";
}

function hidden() {
  return document.visibilityState === "hidden";
}

/* Two falling notes, lower than the visitor's chime (chat/notify.js): never confused. No
 * sound is no reason to miss the notification. */
function tone() {
  playNotes([[659.25, 0], [523.25, 0.14]], { type: "triangle", peak: 0.2, length: 0.3 });
}

function shorten(text) {
  text = str(text).replace(/\s+/g, " ").trim();
  return text.length > TEXT_LENGTH ? text.slice(0, TEXT_LENGTH - 1) + "\u2026" : text;
}

/* options: button ("Turn on desktop notifications"), state (where the permission is told),
 * sound (the checkbox), open(id) (show that conversation). */
export function desktopAlerts(options) {
  var button = options.button;
  var stateNode = options.state;
  var sound = options.sound;

  function render() {
    if (!supported()) {
      button.hidden = true;
      stateNode.textContent = "This browser cannot show desktop notifications.";
      return;
    }
    var permission = window.Notification.permission;
    button.hidden = permission !== "default";
    if (permission === "granted") {
      stateNode.textContent = "Desktop notifications are on while this tab is hidden.";
    } else if (permission === "denied") {
      stateNode.textContent = "Desktop notifications are blocked: allow them for this site " +
        "in the browser's settings.";
    } else {
      stateNode.textContent = "";
    }
  }

  function ask() {
    var asked;
    try {
      // Older browsers answer by callback only.
      asked = window.Notification.requestPermission(render);
    } catch (e) {
      asked = null;
    }
    if (asked && typeof asked.then === "function") {
      asked.then(render, render);
    }
  }

  function notify(tag, title, body, conversationId) {
    if (!supported() || window.Notification.permission !== "granted" || !hidden()) {
      return;
    }
    try {
      var shown = new window.Notification(title, { body: body, tag: tag });
      shown.onclick = function () {
        window.focus();
        options.open(conversationId);
        shown.close();
      };
    } catch (e) {
      // Some browsers allow notifications only from a service worker: the sound remains.
    }
  }

  function chime() {
    if (sound.checked) {
      tone();
    }
  }

  sound.checked = localGet(STORAGE_SOUND) !== "off";
  sound.addEventListener("change", function () {
    localSet(STORAGE_SOUND, sound.checked ? "on" : "off");
  });
  button.addEventListener("click", ask);
  render();

  return {
    /* (a) A visitor started waiting for a person (a conversation's summary). */
    waiting: function (summary) {
      var place = summary.product && str(summary.product.name) ?
        " on " + str(summary.product.name) : "";
      notify("console-waiting-" + summary.id, "A visitor is waiting for a person",
        "Conversation #" + summary.id + place + ".", summary.id);
      chime();
    },
    /* (b) The visitor of a conversation this agent holds wrote (its summary). */
    visitorWrote: function (summary) {
      if (!hidden()) {
        return;
      }
      var text = summary.last_role === "visitor" ? shorten(summary.last_text) : "";
      notify("console-message-" + summary.id, "Conversation #" + summary.id + ": the visitor wrote",
        text, summary.id);
      chime();
    }
  };
}
