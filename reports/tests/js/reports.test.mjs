// The reports page's module (reports/static/reports/reports.js), run as the browser runs it: the
// charts it asks Chart.js for, from the page's numbers, with a stand-in for Chart.js and the page.
// Run by `make test` with node's own test runner: node --test reports/tests/js/*.test.mjs
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

// A data: URL is always read as an ES module, whatever Node.js version runs the tests (a .js
// file outside a "type": "module" package is not, before Node.js 22).
const SOURCE = readFileSync(new URL("../../static/reports/reports.js", import.meta.url), "utf8");
const { chartConfigs, drawCharts } = await import(
  "data:text/javascript;charset=utf-8," + encodeURIComponent(SOURCE)
);

const DATA = {
  days: { labels: ["2025-03-10", "2025-03-11"], values: [3, 4] },
  outcomes: { labels: ["Answered by bots alone", "Handed to a person"], values: [5, 2] },
  scores: { labels: ["1/5", "2/5", "3/5", "4/5", "5/5"], values: [0, 1, 0, 2, 3] },
};

test("each chart draws the page's numbers", () => {
  const configs = chartConfigs(DATA);
  assert.deepEqual(Object.keys(configs), ["reportsDaysChart", "reportsOutcomesChart", "reportsScoresChart"]);
  assert.equal(configs.reportsDaysChart.type, "bar");
  assert.deepEqual(configs.reportsDaysChart.data.labels, DATA.days.labels);
  assert.deepEqual(configs.reportsDaysChart.data.datasets[0].data, [3, 4]);
  assert.equal(configs.reportsOutcomesChart.type, "doughnut");
  assert.deepEqual(configs.reportsOutcomesChart.data.datasets[0].data, [5, 2]);
  assert.deepEqual(configs.reportsScoresChart.data.datasets[0].data, [0, 1, 0, 2, 3]);
  // Counts: whole numbers on the axis.
  assert.equal(configs.reportsDaysChart.options.scales.y.ticks.precision, 0);
});

test("a chart is drawn where the page has its canvas, without motion if asked", () => {
  const canvases = { reportsDaysChart: {}, reportsOutcomesChart: {} }; // no ratings: no canvas
  globalThis.document = { getElementById: (id) => canvases[id] ?? null };
  const made = [];
  class Chart {
    constructor(canvas, config) {
      made.push({ canvas, config });
    }
  }
  const drawn = drawCharts(Chart, DATA, { reducedMotion: true });
  assert.deepEqual(Object.keys(drawn), ["reportsDaysChart", "reportsOutcomesChart"]);
  assert.equal(made[0].canvas, canvases.reportsDaysChart);
  assert.equal(made[0].config.options.animation, false);
  assert.equal(made[0].config.options.maintainAspectRatio, false);
  delete globalThis.document;
});
