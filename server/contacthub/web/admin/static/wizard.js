// The import wizard without clutter: only the inputs the choices need are shown, the Other
// delimiter's field chooses Other (admin.js starts a new schedule in the browser's zone).
// Every step works without this script: then all inputs stay visible.
"use strict";

function checkedValue(form, name) {
  const checked = form.querySelector(`input[name="${name}"]:checked`);
  return checked ? checked.value : "";
}

// Parts marked data-kinds="http ftp" show for those kinds of source only.
function sourceKinds(form) {
  const radios = form.querySelectorAll('input[name="kind"][type="radio"]');
  if (!radios.length) return;
  const show = () => {
    const kind = checkedValue(form, "kind");
    for (const part of form.querySelectorAll("[data-kinds]")) {
      part.hidden = !part.dataset.kinds.split(" ").includes(kind);
    }
  };
  for (const radio of radios) radio.addEventListener("change", show);
  show();
}

function otherDelimiter(form) {
  const text = form.querySelector("#delimiter_other");
  const radio = form.querySelector("#delimiter-other");
  if (text && radio) text.addEventListener("input", () => { radio.checked = true; });
}

// data-if-frequency="weekly" shows for those patterns, data-unless-frequency="none once"
// for all others.
function frequencies(form) {
  const radios = form.querySelectorAll('input[name="schedule.frequency"]');
  if (!radios.length) return;
  const show = () => {
    const frequency = checkedValue(form, "schedule.frequency");
    for (const part of form.querySelectorAll("[data-if-frequency]")) {
      part.hidden = !part.dataset.ifFrequency.split(" ").includes(frequency);
    }
    for (const part of form.querySelectorAll("[data-unless-frequency]")) {
      part.hidden = part.dataset.unlessFrequency.split(" ").includes(frequency);
    }
  };
  for (const radio of radios) radio.addEventListener("change", show);
  show();
}

// The fade at the preview's right edge says more columns lie beyond; it goes at the end.
function scrollEnds(frame) {
  const scroller = frame.querySelector(".preview-scroll");
  if (!scroller) return;
  const mark = () => {
    const end = scroller.scrollLeft + scroller.clientWidth >= scroller.scrollWidth - 2;
    frame.classList.toggle("at-end", end);
  };
  scroller.addEventListener("scroll", mark, { passive: true });
  window.addEventListener("resize", mark);
  mark();
}

document.addEventListener("DOMContentLoaded", () => {
  for (const frame of document.querySelectorAll(".scroll-frame.wide")) scrollEnds(frame);
  for (const form of document.querySelectorAll("form.wizard-form")) {
    sourceKinds(form);
    otherDelimiter(form);
    frequencies(form);
  }
});
