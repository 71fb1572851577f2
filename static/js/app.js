// Keyboard: "/" focuses the search box; Escape leaves a field. No inline scripts anywhere (CSP).
document.addEventListener("keydown", (event) => {
  const field = event.target.closest("input, textarea, select");
  if (event.key === "/" && !field) {
    const search = document.getElementById("id_q");
    if (search) { event.preventDefault(); search.focus(); }
  } else if (event.key === "Escape" && field) {
    field.blur();
  }
});
