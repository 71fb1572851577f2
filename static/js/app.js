// Keyboard shortcuts (no inline scripts anywhere: CSP). Single keys act only outside form fields.
//   /  search   a  log attempt   c  callback   v  verify   n  next account   ?  help   Esc  leave a field
(function () {
  const focusFirst = (selector) => {
    const el = document.querySelector(selector);
    if (!el) return false;
    el.scrollIntoView({ block: "center" });
    el.focus();
    return true;
  };
  const actions = {
    "/": () => focusFirst("#id_q"),
    a: () => focusFirst("#attempt select, #attempt input:not([type=hidden])"),
    c: () => focusFirst("#callback input:not([type=hidden])"),
    v: () => focusFirst("#verify input:not([type=hidden])"),
    n: () => {
      const next = document.querySelector("[data-shortcut='next']");
      if (!next) return false;
      next.click();
      return true;
    },
    "?": () => {
      const help = document.getElementById("shortcuts");
      if (!help) return false;
      help.showModal();
      return true;
    },
  };
  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const field = event.target.closest("input, textarea, select, [contenteditable]");
    if (field) {
      if (event.key === "Escape") field.blur();
      return;
    }
    const action = actions[event.key];
    if (action && action()) event.preventDefault();
  });
})();
