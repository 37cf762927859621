// The page logic of a human real/fake study (catalogue T8; Salimans et al. 2016,
// "Improved Techniques for Training GANs", section 4). Served by
// keras_gans/human_eval/server.py, which keeps every judgment: this script holds
// no state a reload would lose.
"use strict";

const state = {
  rater: null,       // the name the rater entered
  display: "single", // "single" or "grid"
  gridSize: 9,       // from /api/study
  tiles: [],         // the images on screen
};

const byId = (id) => document.getElementById(id);

function showError(message) {
  byId("error").textContent = message;
}

async function getJson(url, options) {
  let response;
  try {
    response = await fetch(url, options);
  } catch (error) {
    throw new Error(
      "The study server did not answer. Your answers so far are saved; reload " +
      "the page when the server is back.");
  }
  const body = await response.json();
  return { status: response.status, ok: response.ok, body };
}

function updateProgress(judged, total) {
  byId("progress-text").textContent = `${judged} / ${total} judged`;
  byId("progress").max = total;
  byId("progress").value = judged;
}

function currentTile() {
  return state.tiles.find((tile) => tile.dataset.state !== "answered") || null;
}

function markCurrent() {
  const current = currentTile();
  for (const tile of state.tiles) {
    tile.classList.toggle("current", tile === current);
  }
}

function makeTile(imageId) {
  const tile = document.createElement("figure");
  tile.className = "tile";
  tile.dataset.imageId = imageId;
  tile.dataset.state = "loading";
  const image = document.createElement("img");
  image.alt = "a study image: real or generated?";
  const answers = document.createElement("div");
  answers.className = "answers";
  for (const choice of ["real", "fake"]) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = `answer-${choice}`;
    button.textContent = choice === "real" ? "Real (R)" : "Fake (F)";
    button.disabled = true;
    button.addEventListener("click", () => answer(tile, choice));
    answers.appendChild(button);
  }
  const caption = document.createElement("figcaption");
  caption.className = "tile-feedback";
  image.addEventListener("load", () => {
    tile.shownAt = performance.now(); // the response time runs from here
    tile.dataset.state = "ready";
    for (const button of answers.querySelectorAll("button")) button.disabled = false;
  });
  image.addEventListener("error", () => showError(`Image ${imageId} did not load.`));
  image.src = `/images/${encodeURIComponent(imageId)}`;
  tile.append(image, answers, caption);
  return tile;
}

async function loadBatch() {
  const count = state.display === "grid" ? state.gridSize : 1;
  const query = `rater=${encodeURIComponent(state.rater)}&count=${count}`;
  const { ok, body } = await getJson(`/api/next?${query}`);
  if (!ok) throw new Error(body.error);
  updateProgress(body.judged, body.total);
  const container = byId("images");
  container.className = state.display;
  container.replaceChildren();
  state.tiles = body.image_ids.map(makeTile);
  container.append(...state.tiles);
  markCurrent();
  byId("study").hidden = body.image_ids.length === 0;
  byId("done").hidden = body.image_ids.length !== 0;
}

function showFeedback(tile, feedback) {
  const truth = feedback.truth === "real" ? "real" : "generated";
  const text = `${feedback.correct ? "Right" : "Wrong"}: that image was ${truth}.`;
  for (const element of [tile.querySelector(".tile-feedback"), byId("feedback")]) {
    element.textContent = text;
    element.className = element.className.replace(/ ?(right|wrong)/g, "") +
      (feedback.correct ? " right" : " wrong");
  }
}

async function answer(tile, choice) {
  if (tile.dataset.state !== "ready") return;
  tile.dataset.state = "sending";
  const elapsed = performance.now() - tile.shownAt;
  const buttons = tile.querySelectorAll("button");
  for (const button of buttons) button.disabled = true;
  try {
    const { ok, status, body } = await getJson("/api/judgments", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        rater: state.rater,
        image_id: tile.dataset.imageId,
        answer: choice,
        response_time_ms: Math.round(elapsed * 10) / 10,
        display: state.display,
      }),
    });
    if (!ok && status !== 409) { // 409: already judged (e.g. in another tab)
      throw new Error(body.error);
    }
    showError("");
    tile.dataset.state = "answered";
    tile.classList.add("answered", `answered-${choice}`);
    if (ok) {
      updateProgress(body.judged, body.total);
      if (body.feedback) showFeedback(tile, body.feedback);
    }
    markCurrent();
    if (!currentTile()) await loadBatch();
  } catch (error) {
    tile.dataset.state = "ready";
    for (const button of buttons) button.disabled = false;
    showError(error.message);
  }
}

async function start() {
  const name = byId("rater-name").value.trim();
  if (!/^[\p{L}\p{N}_][\p{L}\p{N}_ .'-]{0,63}$/u.test(name)) {
    showError("Enter your name (letters, digits, spaces or . ' - _) to start.");
    return;
  }
  state.rater = name;
  state.display = byId("display").value;
  byId("feedback").textContent = "";
  showError("");
  try {
    await loadBatch();
  } catch (error) {
    showError(error.message);
  }
}

async function initialise() {
  try {
    const { body } = await getJson("/api/study");
    state.gridSize = body.grid_size;
    byId("feedback-note").hidden = !body.feedback;
  } catch (error) {
    showError(error.message);
  }
  byId("start-button").addEventListener("click", start);
  byId("rater-name").addEventListener("keydown", (event) => {
    if (event.key === "Enter") start();
  });
  byId("display").addEventListener("change", () => {
    if (state.rater) start(); // switch the display without losing a judgment
  });
  document.addEventListener("keydown", (event) => {
    const typing = event.target instanceof HTMLInputElement ||
      event.target instanceof HTMLSelectElement;
    if (typing || event.repeat) return;
    const choice = { r: "real", f: "fake" }[event.key.toLowerCase()];
    const tile = currentTile();
    if (choice && tile && state.rater) answer(tile, choice);
  });
}

initialise();
