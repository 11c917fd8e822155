// The search page where scripts run. In one column (a phone) the filters wait behind a "Filter"
// button, so that the result count and the results come first; a long list of options (the
// authorities) is narrowed by typing in a box above it. Without scripts every filter is shown after
// the results, with a link to them where the button is, and the boxes to type in stay hidden.

const panel = document.getElementById("filters");
const toggle = document.querySelector(".filter-toggle");
if (panel && toggle) {
  const oneColumn = matchMedia("(max-width: 50rem)");
  const head = document.querySelector(".results-head");
  const results = document.querySelector(".finder-body .results");
  const expanded = () => toggle.getAttribute("aria-expanded") === "true";
  const show = (open) => {
    toggle.setAttribute("aria-expanded", String(open));
    panel.hidden = oneColumn.matches && !open;
  };
  // The filters follow the button in one column, in Tab order as on screen; in two columns they
  // follow the results, beside which the stylesheet places them.
  const place = () => {
    (oneColumn.matches ? head : results).after(panel);
    show(expanded());
  };
  document.querySelector(".filter-link").hidden = true;
  toggle.hidden = false;
  toggle.addEventListener("click", () => show(!expanded()));
  // "Skip to filters" opens them first.
  document.querySelectorAll('a[href="#filters"]').forEach((link) => {
    link.addEventListener("click", () => show(true));
  });
  oneColumn.addEventListener("change", place);
  place();
  if (location.hash === "#filters") show(true);
}

// Typing narrows a long list of checkboxes to the options whose names hold what was typed; a ticked
// one always stays in the list. The box has no name, so the form sends what it did without scripts.
document.querySelectorAll("[data-option-filter]").forEach((box) => {
  const input = box.querySelector("input");
  const status = box.querySelector("[role=status]");
  const options = [...document.getElementById(input.getAttribute("aria-controls")).children].map(
    (option) => ({
      option,
      checkbox: option.querySelector("input"),
      name: option.querySelector("label").firstChild.textContent.trim().toLowerCase(),
    }),
  );
  let announce;
  input.addEventListener("input", () => {
    const wanted = input.value.trim().toLowerCase();
    let shown = 0;
    for (const { option, checkbox, name } of options) {
      option.hidden = !checkbox.checked && !name.includes(wanted);
      shown += option.hidden ? 0 : 1;
    }
    clearTimeout(announce); // said once typing pauses, not at every key
    announce = setTimeout(() => {
      status.textContent = wanted ? `${shown} of ${options.length} shown` : "";
    }, 500);
  });
  // Enter in the box would send the form: here it only ends the typing.
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter") event.preventDefault();
  });
  box.hidden = false;
});
