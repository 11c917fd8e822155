// A copy button beside each finding's citation. Without scripts (or a clipboard) the citation is
// still there to select; loaded from a file because the pages' CSP allows no inline script.
document.querySelectorAll("details.cite").forEach((details) => {
  const citation = details.querySelector(".citation");
  if (!citation || !navigator.clipboard) return;
  const button = document.createElement("button");
  button.type = "button";
  button.className = "secondary";
  button.textContent = "Copy citation";
  const status = document.createElement("span");
  status.className = "copy-status";
  status.setAttribute("role", "status");
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(citation.textContent.trim());
      status.textContent = "Copied";
    } catch {
      status.textContent = "Could not copy: select the citation and copy it";
    }
  });
  details.append(button, status);
});
