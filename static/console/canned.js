/*
 * Canned responses in the staff console: the team's short named replies.
 *
 * In the composer, "/" and letters (at the start or after a space) open a list of the
 * responses whose shortcut starts with them (then those whose shortcut or title holds them):
 * the WAI-ARIA combobox pattern, the input being the combobox and the list its listbox
 * (aria-expanded, aria-activedescendant, role=option). Up and Down move, Enter or Tab insert
 * the response in place of "/letters", Escape closes the list; a click inserts too.
 *
 * Placeholders are filled on insertion, before the agent sends, so that they see and may
 * change what goes out. The server parses each text into parts (console/canned.py), so the
 * browser never interprets the grammar: a name is joined in as plain text, and is never
 * expanded again nor shown as markup (the composer is a text field, messages use textContent).
 *
 * The management dialog lists, adds, changes and deletes them through /staff/canned/
 * (console/views.py), showing the server's refusals by field; what the agent may do there is
 * the server's word ("can"), and the server checks it again.
 */
import { config, str } from "../chat/common.js";

var URL = config.canned_url;
var MAX_SHOWN = 8;
var STALE_MS = 60000;  // another agent may have added one: read the list again after this
var RECHECK_MS = 5000;  // ...or at once when nothing matches, at most this often
var TRIGGER = /(^|\s)\/([A-Za-z0-9_-]*)$/;

var data = { responses: [], can: { add: false, change: false, delete: false }, fallbacks: {} };
var askedAt = 0;  // the last read, whether the server answered or not
var loading = null;

function csrfToken() {
  var field = document.querySelector('input[name="csrfmiddlewaretoken"]');
  return field ? field.value : "";
}

function request(method, url, body) {
  var options = { method: method, headers: { Accept: "application/json" }, credentials: "same-origin" };
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.headers["X-CSRFToken"] = csrfToken();
    options.body = JSON.stringify(body);
  } else if (method !== "GET") {
    options.headers["X-CSRFToken"] = csrfToken();
  }
  return fetch(url, options).then(function (response) {
    if (response.status === 204) {
      return { status: 204, body: null };
    }
    return response.json().then(function (json) {
      return { status: response.status, body: json };
    }, function () {
      return { status: response.status, body: null };
    });
  });
}

function validResponse(item) {
  return item !== null && typeof item === "object" && typeof item.id === "number" &&
    typeof item.shortcut === "string" && Array.isArray(item.parts);
}

/* Read the list; resolves with it (the last one known, if the server cannot be reached).
 * ``fresh``: a new read even if one is under way (that one may predate a change just made);
 * an answer older than the newest one applied is dropped. */
var asked = 0;
var applied = 0;

function load(fresh) {
  if (loading && !fresh) {
    return loading;
  }
  var number = ++asked;
  askedAt = Date.now();
  var reading = request("GET", URL).then(function (answer) {
    if (number > applied && answer.status === 200 && answer.body &&
        Array.isArray(answer.body.responses)) {
      applied = number;
      data.responses = answer.body.responses.filter(validResponse);
      data.can = answer.body.can || data.can;
      data.fallbacks = answer.body.fallbacks || {};
    }
    return data;
  }, function () {
    return data;
  }).then(function (result) {
    if (loading === reading) {
      loading = null;
    }
    return result;
  });
  loading = reading;
  return reading;
}

function loadIfStale() {
  if (Date.now() - askedAt > STALE_MS) {
    load();
  }
}

/* The response's text with its placeholders filled: ``values`` by placeholder, else the
 * server's fallback for it, else nothing. */
export function fill(parts, values) {
  return parts.map(function (part) {
    if (typeof part.text === "string") {
      return part.text;
    }
    var name = str(part.placeholder);
    return str(values[name]) || str(data.fallbacks[name]);
  }).join("");
}

function matching(query) {
  var q = query.toLowerCase();
  var first = [];
  var then = [];
  data.responses.forEach(function (item) {
    if (item.shortcut.indexOf(q) === 0) {
      first.push(item);
    } else if (q && (item.shortcut.indexOf(q) >= 0 || str(item.title).toLowerCase().indexOf(q) >= 0)) {
      then.push(item);
    }
  });
  return first.concat(then).slice(0, MAX_SHOWN);
}

/* ---------------- the composer's suggestion list ---------------- */

/* options: input, list, count (a status region), values() -> {visitor_name, agent_name}. */
export function cannedComposer(options) {
  var input = options.input;
  var list = options.list;
  var shown = [];
  var active = -1;
  var token = null;   // {start, end}: the "/letters" the choice replaces
  var inserting = false;

  function isOpen() {
    return input.getAttribute("aria-expanded") === "true";
  }

  function optionId(item) {
    return "consoleCannedOption-" + item.id;
  }

  function close() {
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    list.hidden = true;
    list.textContent = "";
    shown = [];
    active = -1;
    token = null;
  }

  function setActive(index) {
    active = index;
    Array.prototype.forEach.call(list.children, function (option, n) {
      option.setAttribute("aria-selected", n === index ? "true" : "false");
    });
    var option = list.children[index];
    if (option) {
      input.setAttribute("aria-activedescendant", option.id);
      option.scrollIntoView({ block: "nearest" });
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  }

  function render(items) {
    list.textContent = "";
    var values = options.values();
    items.forEach(function (item) {
      var option = document.createElement("li");
      option.id = optionId(item);
      option.className = "consoleCannedOption";
      option.setAttribute("role", "option");
      option.setAttribute("aria-selected", "false");
      option.setAttribute("data-shortcut", item.shortcut);
      var head = document.createElement("span");
      head.className = "consoleCannedOptionHead";
      var shortcut = document.createElement("span");
      shortcut.className = "consoleCannedShortcut";
      shortcut.textContent = "/" + item.shortcut;
      var title = document.createElement("span");
      title.className = "consoleCannedTitle";
      title.textContent = str(item.title);
      head.appendChild(shortcut);
      head.appendChild(title);
      var preview = document.createElement("span");
      preview.className = "consoleCannedPreview";
      preview.textContent = fill(item.parts, values);
      option.appendChild(head);
      option.appendChild(preview);
      list.appendChild(option);
    });
  }

  function update() {
    if (inserting || input.disabled) {
      return;
    }
    var caret = input.selectionStart === null ? input.value.length : input.selectionStart;
    var found = TRIGGER.exec(input.value.slice(0, caret));
    if (!found) {
      close();
      return;
    }
    loadIfStale();
    var items = matching(found[2]);
    if (!items.length) {
      close();
      options.count.textContent = data.responses.length ?
        "No canned response matches /" + found[2] + "." : "";
      if (Date.now() - askedAt > RECHECK_MS) {
        // Someone may have added it a moment ago: look again, then show it if it is there.
        load().then(function () {
          if (document.activeElement === input && !isOpen()) {
            update();
          }
        });
      }
      return;
    }
    var keep = active >= 0 && shown[active] ? shown[active].id : null;
    token = { start: caret - found[2].length - 1, end: caret };
    shown = items;
    render(items);
    list.hidden = false;
    input.setAttribute("aria-expanded", "true");
    var index = 0;
    items.forEach(function (item, n) {
      if (item.id === keep) {
        index = n;
      }
    });
    setActive(index);
    options.count.textContent = items.length === 1 ? "1 canned response." :
      items.length + " canned responses.";
  }

  function insert(item) {
    if (!item || !token) {
      return;
    }
    var text = fill(item.parts, options.values());
    var value = input.value;
    var start = token.start;
    input.value = value.slice(0, start) + text + value.slice(token.end);
    close();
    var caret = start + text.length;
    input.setSelectionRange(caret, caret);
    input.focus();
    options.count.textContent = "Inserted /" + item.shortcut + ".";
    // What typing does (drafts, the typing indicator), without reopening the list.
    inserting = true;
    try {
      input.dispatchEvent(new Event("input", { bubbles: true }));
    } finally {
      inserting = false;
    }
  }

  input.addEventListener("input", update);
  input.addEventListener("click", update);
  input.addEventListener("blur", close);
  input.addEventListener("keydown", function (event) {
    if (event.isComposing) {
      return;
    }
    if (!isOpen()) {
      if (event.key === "ArrowDown") {
        update();
        if (isOpen()) {
          event.preventDefault();
        }
      }
      return;
    }
    var count = shown.length;
    switch (event.key) {
      case "ArrowDown":
        event.preventDefault();
        setActive((active + 1) % count);
        break;
      case "ArrowUp":
        event.preventDefault();
        setActive((active - 1 + count) % count);
        break;
      case "Enter":
      case "Tab":
        // Inserting, not sending the "/letters": the form must not see this Enter.
        event.preventDefault();
        insert(shown[active]);
        break;
      case "Escape":
        event.preventDefault();
        event.stopPropagation();
        close();
        break;
      case "Home":
      case "End":
        close();
        break;
      default:
        break;
    }
  });
  // The input keeps the focus while an option is pressed, and the press inserts it.
  list.addEventListener("mousedown", function (event) {
    event.preventDefault();
  });
  list.addEventListener("click", function (event) {
    var option = event.target.closest('[role="option"]');
    if (!option) {
      return;
    }
    var index = Array.prototype.indexOf.call(list.children, option);
    insert(shown[index]);
  });
  list.addEventListener("mousemove", function (event) {
    var option = event.target.closest('[role="option"]');
    var index = option ? Array.prototype.indexOf.call(list.children, option) : -1;
    if (index >= 0 && index !== active) {
      setActive(index);
    }
  });

  close();
  load();
  return { close: close, load: load };
}

/* ---------------- the management dialog ---------------- */

var FIELDS = ["shortcut", "title", "text"];

/* options: opener (the button), dialog, and the ids of the dialog's parts (see console.html). */
export function cannedManager(options) {
  var dialog = options.dialog;
  var opener = options.opener;
  if (!dialog || !opener || typeof dialog.showModal !== "function") {
    if (opener) {
      opener.hidden = true;  // no <dialog>: the admin still edits them
    }
    return;
  }
  var byId = function (id) { return document.getElementById(id); };
  var els = {
    close: byId("consoleCannedClose"),
    message: byId("consoleCannedMessage"),
    items: byId("consoleCannedItems"),
    form: byId("consoleCannedForm"),
    formTitle: byId("consoleCannedFormTitle"),
    formError: byId("consoleCannedFormError"),
    save: byId("consoleCannedSave"),
    cancel: byId("consoleCannedCancel"),
    fields: {
      shortcut: byId("consoleCannedShortcut"),
      title: byId("consoleCannedTitleField"),
      text: byId("consoleCannedText")
    },
    errors: {
      shortcut: byId("consoleCannedShortcutError"),
      title: byId("consoleCannedTitleError"),
      text: byId("consoleCannedTextError")
    }
  };
  var editing = null;  // the response being changed, or null: adding
  var busy = false;

  function say(text) {
    els.message.textContent = text;
  }

  function clearErrors() {
    els.formError.hidden = true;
    els.formError.textContent = "";
    FIELDS.forEach(function (name) {
      els.errors[name].hidden = true;
      els.errors[name].textContent = "";
      els.fields[name].removeAttribute("aria-invalid");
    });
  }

  function showErrors(errors) {
    clearErrors();
    var first = null;
    Object.keys(errors || {}).forEach(function (name) {
      var messages = Array.isArray(errors[name]) ? errors[name].map(str).join(" ") : str(errors[name]);
      if (els.fields[name]) {
        els.errors[name].textContent = messages;
        els.errors[name].hidden = false;
        els.fields[name].setAttribute("aria-invalid", "true");
        first = first || els.fields[name];
      } else {
        els.formError.textContent = messages;
        els.formError.hidden = false;
      }
    });
    if (first) {
      first.focus();
    }
    say("Not saved: see the errors below.");
  }

  function showFormError(text) {
    clearErrors();
    els.formError.textContent = text;
    els.formError.hidden = false;
  }

  function resetForm() {
    editing = null;
    els.form.reset();
    clearErrors();
    els.formTitle.textContent = "Add a canned response";
    els.save.textContent = "Add";
    els.cancel.hidden = true;
    els.form.hidden = !data.can.add;
  }

  function button(text, className, hiddenText) {
    var node = document.createElement("button");
    node.type = "button";
    node.className = "consoleButton " + className;
    node.textContent = text;
    var extra = document.createElement("span");
    extra.className = "consoleVisuallyHidden";
    extra.textContent = " " + hiddenText;
    node.appendChild(extra);
    return node;
  }

  function renderItems() {
    els.items.textContent = "";
    if (!data.responses.length) {
      var empty = document.createElement("li");
      empty.className = "consoleEmpty";
      empty.textContent = "No canned responses yet.";
      els.items.appendChild(empty);
    }
    data.responses.forEach(function (item) {
      var row = document.createElement("li");
      row.className = "consoleCannedItem";
      row.setAttribute("data-response-id", String(item.id));
      var head = document.createElement("p");
      head.className = "consoleCannedItemHead";
      var shortcut = document.createElement("code");
      shortcut.className = "consoleCannedShortcut";
      shortcut.textContent = "/" + item.shortcut;
      var title = document.createElement("strong");
      title.textContent = str(item.title);
      head.appendChild(shortcut);
      head.appendChild(document.createTextNode(" "));
      head.appendChild(title);
      var text = document.createElement("p");
      text.className = "consoleCannedItemText";
      text.textContent = str(item.text);
      row.appendChild(head);
      row.appendChild(text);
      var actions = document.createElement("p");
      actions.className = "consoleCannedItemActions";
      if (data.can.change) {
        actions.appendChild(button("Edit", "consoleCannedEdit", "/" + item.shortcut));
      }
      if (data.can.delete) {
        actions.appendChild(button("Delete", "consoleButton--danger consoleCannedDelete",
          "/" + item.shortcut));
      }
      if (actions.childElementCount) {
        row.appendChild(actions);
      }
      els.items.appendChild(row);
    });
  }

  function refresh() {
    return load(true).then(function () {
      renderItems();
      if (!editing) {
        els.form.hidden = !data.can.add;
      }
    });
  }

  function edit(item) {
    editing = item;
    clearErrors();
    els.form.hidden = false;
    els.fields.shortcut.value = item.shortcut;
    els.fields.title.value = str(item.title);
    els.fields.text.value = str(item.text);
    els.formTitle.textContent = "Edit /" + item.shortcut;
    els.save.textContent = "Save changes";
    els.cancel.hidden = false;
    els.fields.shortcut.focus();
  }

  function remove(item) {
    if (!window.confirm("Delete /" + item.shortcut + " for the whole team?")) {
      return;
    }
    request("DELETE", URL + item.id + "/").then(function (answer) {
      if (answer.status === 204 || answer.status === 404) {
        say("Deleted /" + item.shortcut + ".");
        if (editing && editing.id === item.id) {
          resetForm();
        }
      } else {
        say(str(answer.body && answer.body.detail) || "Not deleted: try again.");
      }
      return refresh();
    }, function () {
      say("Not deleted: the server could not be reached.");
    });
  }

  els.items.addEventListener("click", function (event) {
    var pressed = event.target.closest("button");
    var row = pressed ? pressed.closest(".consoleCannedItem") : null;
    if (!row) {
      return;
    }
    var id = parseInt(row.getAttribute("data-response-id"), 10);
    var item = data.responses.filter(function (r) { return r.id === id; })[0];
    if (!item) {
      return;
    }
    if (pressed.classList.contains("consoleCannedEdit")) {
      edit(item);
    } else if (pressed.classList.contains("consoleCannedDelete")) {
      remove(item);
    }
  });

  els.form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (busy) {
      return;
    }
    var body = {};
    FIELDS.forEach(function (name) {
      body[name] = els.fields[name].value;
    });
    busy = true;
    els.save.disabled = true;
    var target = editing;
    var answered = target ?
      request("PUT", URL + target.id + "/", body) : request("POST", URL, body);
    answered.then(function (answer) {
      if (answer.status === 200 || answer.status === 201) {
        var saved = answer.body && answer.body.response;
        say((target ? "Saved /" : "Added /") + str(saved && saved.shortcut) + ".");
        resetForm();
        return refresh();
      }
      if (answer.status === 400 && answer.body && answer.body.errors) {
        showErrors(answer.body.errors);
        return null;
      }
      showFormError(str(answer.body && answer.body.detail) || "Not saved: try again.");
      return refresh();
    }, function () {
      showFormError("Not saved: the server could not be reached. Nothing was lost: try again.");
    }).then(function () {
      busy = false;
      els.save.disabled = false;
    });
  });

  els.cancel.addEventListener("click", function () {
    resetForm();
    say("");
  });
  els.close.addEventListener("click", function () {
    dialog.close();
  });
  opener.addEventListener("click", function () {
    say("");
    resetForm();
    renderItems();
    dialog.showModal();
    refresh();
  });
}
