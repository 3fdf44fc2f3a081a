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
