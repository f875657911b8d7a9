// Small enhancements; every page works without them.
"use strict";

// Exact times in the reader's own time zone: on hover, or shown (data-exact).
function localTimes() {
  for (const time of document.querySelectorAll("time[datetime]")) {
    const moment = new Date(time.getAttribute("datetime"));
    if (isNaN(moment)) continue;
    if (time.hasAttribute("data-exact")) time.textContent = moment.toLocaleString();
    else time.title = moment.toLocaleString();
  }
}

// A new form with a time zone starts in the browser's zone, and a moment marked
// data-browser-now at the present moment on the browser's clock.
function browserZones() {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  for (const select of document.querySelectorAll("select[data-browser-zone]")) {
    if (!zone || ![...select.options].some((option) => option.value === zone)) continue;
    select.value = zone;
    const now = select.form && select.form.querySelector("input[data-browser-now]");
    if (now) now.value = wallClock(new Date());
  }
}

// "2024-05-01T14:30:15": a moment as a datetime-local input holds it, in the local zone.
function wallClock(moment) {
  const local = new Date(moment.getTime() - moment.getTimezoneOffset() * 60000);
  return local.toISOString().slice(0, 19);
}

// A running import: poll its progress, then open its report.
function followProgress(box) {
  const bar = box.querySelector("progress");
  const phase = box.querySelector("#run-phase");
  async function poll() {
    try {
      const answer = await fetch(box.dataset.progressUrl, {headers: {Accept: "application/json"}});
      if (answer.ok) {
        const state = await answer.json();
        if (state.report) { window.location.assign(state.report); return; }
        phase.textContent = state.words + "…";
        if (state.fraction === null) bar.removeAttribute("value");
        else { bar.value = Math.round(state.fraction * 100); bar.textContent = bar.value + "%"; }
      }
    } catch (error) { /* the server restarting: try again */ }
    setTimeout(poll, 500);
  }
  poll();
}

// Forms that destroy something ask first.
function confirmations() {
  for (const form of document.querySelectorAll("form[data-confirm]")) {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  }
}

// A secret shown once: its button copies it (where the browser lets a page write the
// clipboard; elsewhere the button stays hidden and the secret is selected by a tap).
function copyButtons() {
  if (!navigator.clipboard) return;
  for (const button of document.querySelectorAll("button[data-copy]")) {
    const secret = document.getElementById(button.dataset.copy);
    const state = button.parentElement.querySelector("[role=status]");
    button.hidden = false;
    button.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(secret.textContent.trim());
        state.textContent = "Copied.";
      } catch (error) {
        state.textContent = "Select it and copy it.";
      }
    });
  }
}

document.addEventListener("DOMContentLoaded", () => {
  localTimes();
  browserZones();
  confirmations();
  copyButtons();
  const box = document.querySelector("[data-progress-url]");
  if (box) followProgress(box);
});
