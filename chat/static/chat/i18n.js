/*
 * The chat box's words in the visitor's language: Django's JavaScript catalog
 * (chat:javascript_catalog, loaded by embed.js before the box) defines window.django.
 * Without it (a catalog that failed to load) the box speaks English rather than break.
 */
function catalog() {
  return (typeof window !== "undefined" && window.django) || null;
}

export function gettext(text) {
  var django = catalog();
  return django && django.gettext ? django.gettext(text) : text;
}

export function ngettext(singular, plural, count) {
  var django = catalog();
  if (django && django.ngettext) {
    return django.ngettext(singular, plural, count);
  }
  return count === 1 ? singular : plural;
}

/* "%(name)s is typing" with {name: "Anna"}: named placeholders, as Django's interpolate. */
export function format(text, values) {
  return text.replace(/%\((\w+)\)s/g, function (match, key) {
    return Object.prototype.hasOwnProperty.call(values, key) ? String(values[key]) : match;
  });
}
