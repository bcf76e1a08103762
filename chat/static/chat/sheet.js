/*
 * Phones: below 480 px the open box is a sheet over the whole screen (chat.css). Here what
 * CSS alone cannot do: the page behind stops scrolling while the sheet is open, and the
 * sheet follows the visual viewport, which shrinks when the on-screen keyboard opens, so
 * the composer stays above the keyboard instead of behind it.
 */
var PHONE = "(max-width: 479.98px)";
var LOCK_CLASS = "chatboxSheetOpen";

export function phoneSheet(box) {
  var open = false;
  var query = window.matchMedia ? window.matchMedia(PHONE) : null;
  var viewport = window.visualViewport || null;

  function isSheet() {
    return open && query !== null && query.matches;
  }

  function follow() {
    if (isSheet() && viewport) {
      box.style.setProperty("--chatbox-viewport-height", viewport.height + "px");
      box.style.setProperty("--chatbox-viewport-top", viewport.offsetTop + "px");
    } else {
      box.style.removeProperty("--chatbox-viewport-height");
      box.style.removeProperty("--chatbox-viewport-top");
    }
  }

  function render() {
    document.documentElement.classList.toggle(LOCK_CLASS, isSheet());
    // Over the whole screen the page behind cannot be used: say so to assistive technology.
    if (isSheet()) {
      box.setAttribute("aria-modal", "true");
    } else {
      box.removeAttribute("aria-modal");
    }
    follow();
  }

  if (viewport) {
    viewport.addEventListener("resize", follow);
    viewport.addEventListener("scroll", follow);
  }
  if (query) {
    if (query.addEventListener) {
      query.addEventListener("change", render);
    } else if (query.addListener) {
      query.addListener(render);
    }
  }

  return Object.freeze({
    opened: function () {
      open = true;
      render();
    },
    closed: function () {
      open = false;
      render();
    }
  });
}
