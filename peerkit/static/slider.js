// A keyboard-safe slider: a native range input with a visible label, its poles written at
// both ends and the words for the current position as its accessible value text. Arrows and
// Home/End move it, Enter submits, and no key reaches the notebook's shortcuts.
import { keepKeys } from "./keys.js";

let counter = 0;

function render({ model, el }) {
  const id = `pk-slider-${++counter}`;
  const box = document.createElement("div");
  box.className = "pk-slider";
  const label = document.createElement("label");
  label.htmlFor = id;
  const row = document.createElement("div");
  row.className = "pk-slider-row";
  const low = document.createElement("span");
  const high = document.createElement("span");
  const input = document.createElement("input");
  input.type = "range";
  input.id = id;
  const readout = document.createElement("output");
  readout.htmlFor = id;
  row.append(low, input, high);
  box.append(label, row, readout);
  keepKeys(box, () => model.send({ event: "submit" }));
  input.addEventListener("input", () => {
    model.set("value", Number(input.value));
    model.save_changes();
  });

  const draw = () => {
    label.textContent = model.get("description");
    low.textContent = model.get("low");
    high.textContent = model.get("high");
    input.min = model.get("min");
    input.max = model.get("max");
    input.step = model.get("step");
    input.value = model.get("value");
    input.disabled = model.get("disabled");
    const words = model.get("valuetext");
    input.setAttribute("aria-valuetext", words || String(model.get("value")));
    readout.textContent = words;
  };
  draw();
  for (const name of ["value", "valuetext", "disabled", "description", "min", "max", "step"]) {
    model.on(`change:${name}`, draw);
  }
  el.append(box);
}

export default { render };
