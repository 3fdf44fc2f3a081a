// A status line that is a live region from the start: only its text changes, so screen readers
// announce each new message (a region inserted together with its text is often not announced).
function render({ model, el }) {
  const line = document.createElement("p");
  line.className = "pk-status";
  line.setAttribute("role", "status");
  line.setAttribute("aria-live", "polite");
  const draw = () => {
    const text = model.get("text");
    line.textContent = text ? `${model.get("icon")} ${text}` : "";
    line.dataset.kind = model.get("kind");
  };
  draw();
  model.on("change:text", draw);
  model.on("change:kind", draw);
  el.append(line);
  return () => {
    model.off("change:text", draw);
    model.off("change:kind", draw);
  };
}

export default { render };
