/*
 * The chat box's loader: the one script a page includes.
 *
 *   <script src="https://chat.example.com/static/chat/embed.js" async></script>
 *
 * On a page of the chat's own site ({% chat_widget %}) the box's markup is already there;
 * on another site's page the loader fetches it from the chat's server (/chat/widget/, in
 * the page's language; only origins allowed in admin may). Either way the page pays for
 * the launcher alone: this file, the markup and the stylesheet. The chat itself (chat.js,
 * its language catalog, the socket) loads when the visitor first opens the box, or at
 * once when they already have a conversation whose replies must reach the launcher.
 * Until then the loader keeps the launcher's online status, as the chat does after.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  var scriptUrl = script && script.src ? new URL(script.src, window.location.href) : null;
  var CONTAINER_ID = "chatboxContainer";

  function ready(fn) {
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", fn);
    } else {
      fn();
    }
  }

  function storageGet(storage, key) {
    try {
      return window[storage].getItem(key);
    } catch (e) {
      return null;
    }
  }

  /* The box's markup: on the page already, or fetched from the chat's server. */
  function markup() {
    var existing = document.getElementById(CONTAINER_ID);
    if (existing && document.getElementById("chatbox")) {
      return Promise.resolve(existing);
    }
    if (!scriptUrl) {
      return Promise.reject(new Error("embed.js: cannot tell the chat's address"));
    }
    var url = new URL("/chat/widget/", scriptUrl.origin);
    if (document.documentElement.lang) {
      url.searchParams.set("lang", document.documentElement.lang);
    }
    return fetch(url.href, { credentials: "omit", headers: { "Accept": "text/html" } })
      .then(function (resp) {
        if (!resp.ok) {
          // 403: this site is not among the origins allowed to embed the chat (admin).
          throw new Error("embed.js: the chat's server answered " + resp.status);
        }
        return resp.text();
      })
      .then(function (html) {
        var container = document.createElement("div");
        container.id = CONTAINER_ID;
        container.innerHTML = html;  // the chat's own server's markup, never the page's
        document.body.appendChild(container);
        return container;
      });
  }

  function configOf() {
    return JSON.parse(document.getElementById("chat-config").textContent);
  }

  /* A URL of the config on the chat's server (config.base_url when embedded elsewhere). */
  function chatUrl(config, path) {
    return config.base_url ? new URL(path, config.base_url).href : path;
  }

  function stylesheet(config) {
    if (!config.stylesheet_url || document.querySelector("link[data-chatbox-stylesheet]")) {
      return;
    }
    if (!config.base_url) {
      return;  // the chat's own page links it in its head
    }
    var link = document.createElement("link");
    link.rel = "stylesheet";
    link.href = chatUrl(config, config.stylesheet_url);
    link.setAttribute("data-chatbox-stylesheet", "");
    document.head.appendChild(link);
  }

  /* Admin's colour and side (Chat settings), as custom properties the stylesheet reads. */
  function applyTheme(container, theme) {
    if (!theme) {
      return;
    }
    if (theme.primary_color) {
      container.style.setProperty("--chatbox-primary", theme.primary_color);
    }
    container.setAttribute("data-side", theme.launcher_side === "left" ? "left" : "right");
  }

  function catalog(config) {
    if (!config.catalog_url || (window.django && window.django.gettext)) {
      return Promise.resolve();
    }
    return new Promise(function (resolve) {
      var tag = document.createElement("script");
      tag.src = chatUrl(config, config.catalog_url);
      tag.async = true;
      // Without the catalog the box speaks English: it still loads.
      tag.onload = tag.onerror = function () { resolve(); };
      document.head.appendChild(tag);
    });
  }

  function boot(container) {
    var config = configOf();
    var launcher = document.getElementById("chatboxLauncher");
    var label = launcher.querySelector(".chatboxLauncherLabel");
    var loading = null;
    var pollTimer = null;
    stylesheet(config);
    applyTheme(container, config.theme);

    function poll() {
      if (document.visibilityState === "hidden") {
        return;
      }
      fetch(chatUrl(config, config.status_url), { headers: { "Accept": "application/json" }, cache: "no-store" })
        .then(function (resp) { return resp.ok ? resp.json() : null; })
        .then(function (data) {
          if (loading || !data || typeof data.online !== "boolean") {
            return;
          }
          launcher.setAttribute("data-online", data.online ? "true" : "false");
          label.textContent = launcher.getAttribute(
            data.online ? "data-label-online" : "data-label-offline");
        })
        .catch(function () { /* unknown stays unknown */ });
    }

    function load(open) {
      if (!loading) {
        clearInterval(pollTimer);
        launcher.removeEventListener("click", onClick);
        loading = catalog(config).then(function () {
          return import(chatUrl(config, config.script_url));
        });
      }
      return loading.then(function (chat) {
        chat.start({ open: open });
      });
    }

    function onClick() {
      launcher.setAttribute("aria-busy", "true");
      load(true).then(function () {
        launcher.removeAttribute("aria-busy");
      });
    }

    launcher.addEventListener("click", onClick);
    if (storageGet("sessionStorage", "chatbox:open") === "1" ||
        storageGet("localStorage", "chatbox:conversation") === "1") {
      load(false);
      return;
    }
    launcher.hidden = false;
    poll();
    pollTimer = setInterval(poll, config.status_poll_ms || 30000);
  }

  ready(function () {
    markup().then(boot).catch(function (error) {
      if (window.console) {
        window.console.warn(String(error && error.message ? error.message : error));
      }
    });
  });
})();
