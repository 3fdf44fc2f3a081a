// Keys typed in an answer control belong to it, not to JupyterLab's notebook shortcuts
// (where "a" and "b" insert cells, "d d" deletes one and the arrows move between cells).
export function keepKeys(node, onEnter) {
  node.setAttribute("data-lm-suppress-shortcuts", "true");
  node.addEventListener("keydown", (event) => {
    if (event.key === "Tab") return; // leaving the control stays possible
    event.stopPropagation();
    if (event.key === "Enter" && onEnter && !event.isComposing) {
      event.preventDefault();
      onEnter();
    }
  });
}

// The control's own Submit button: it sends the value the browser shows with "submit", so an
// answer never depends on a state update that ipywidgets may still be holding back.
export function submitButton(model, submit) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "pk-submit";
  button.addEventListener("click", submit);
  const draw = () => {
    button.textContent = model.get("submit_label");
    button.hidden = !model.get("submit_label");
    button.disabled = model.get("disabled") || model.get("submit_disabled");
  };
  draw();
  for (const name of ["submit_label", "submit_disabled", "disabled"]) {
    model.on(`change:${name}`, draw);
  }
  return button;
}
