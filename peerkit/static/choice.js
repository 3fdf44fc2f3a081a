// A keyboard-safe choice: native radio buttons in a fieldset whose legend names the group.
// Arrows move between options (the browser's own radio behaviour), Enter submits, and no key
// reaches the notebook's shortcuts while the group has focus.
import { keepKeys } from "./keys.js";

let counter = 0;

function render({ model, el }) {
  const name = `pk-choice-${++counter}`;
  const group = document.createElement("fieldset");
  group.className = "pk-choice";
  const legend = document.createElement("legend");
  group.append(legend);
  const list = document.createElement("div");
  list.className = "pk-choice-options";
  group.append(list);
  keepKeys(group, () => model.send({ event: "submit" }));

  const build = () => {
    legend.textContent = model.get("description");
    list.replaceChildren();
    model.get("options").forEach(([label, value], index) => {
      const row = document.createElement("label");
      row.className = "pk-choice-option";
      const input = document.createElement("input");
      input.type = "radio";
      input.name = name;
      input.value = value;
      input.id = `${name}-${index}`;
      input.addEventListener("change", () => {
        if (input.checked) {
          model.set("value", value);
          model.save_changes();
        }
      });
      const text = document.createElement("span");
      text.textContent = label;
      row.append(input, text);
      list.append(row);
    });
    sync();
  };
  const sync = () => {
    const value = model.get("value");
    group.disabled = model.get("disabled");
    for (const input of list.querySelectorAll("input")) input.checked = input.value === value;
  };
  build();
  model.on("change:options", build);
  model.on("change:description", build);
  model.on("change:value", sync);
  model.on("change:disabled", sync);
  el.append(group);
}

export default { render };
