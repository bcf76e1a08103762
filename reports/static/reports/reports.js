// The reports page's charts, drawn with Chart.js (window.Chart, from its UMD file, which the page
// loads before this module) from the numbers the page gives as JSON ("reports-charts"). The
// tables beside the charts hold the same numbers, for whoever does not see the charts.

// Bots alone, a person, unanswered, no question: each at least 3:1 against white (WCAG 1.4.11).
const OUTCOME_COLOURS = ["#1f7a8c", "#b45309", "#7b5ea7", "#616e7c"];
const BAR_COLOUR = "#1f7a8c";
const TEXT_COLOUR = "#1f2933";

function bars(chart, label) {
  return {
    type: "bar",
    data: {
      labels: chart.labels,
      datasets: [{ label, data: chart.values, backgroundColor: BAR_COLOUR }],
    },
    options: {
      plugins: { legend: { display: false } },
      scales: {
        x: { ticks: { color: TEXT_COLOUR } },
        // Counts: whole numbers on the axis.
        y: { beginAtZero: true, ticks: { color: TEXT_COLOUR, precision: 0 } },
      },
    },
  };
}

// What each chart draws: the canvas's id, and Chart.js's configuration of it.
export function chartConfigs(data) {
  return {
    reportsDaysChart: bars(data.days, "Conversations"),
    reportsOutcomesChart: {
      type: "doughnut",
      data: {
        labels: data.outcomes.labels,
        datasets: [{ label: "Conversations", data: data.outcomes.values, backgroundColor: OUTCOME_COLOURS }],
      },
      options: { plugins: { legend: { position: "right", labels: { color: TEXT_COLOUR } } } },
    },
    reportsScoresChart: bars(data.scores, "Ratings"),
  };
}

export function drawCharts(Chart, data, { reducedMotion = false } = {}) {
  const drawn = {};
  for (const [id, config] of Object.entries(chartConfigs(data))) {
    const canvas = document.getElementById(id);
    if (!canvas) {
      continue; // no ratings in the period: no ratings chart
    }
    config.options.responsive = true;
    config.options.maintainAspectRatio = false;
    if (reducedMotion) {
      config.options.animation = false;
    }
    drawn[id] = new Chart(canvas, config);
  }
  return drawn;
}

function init() {
  const source = document.getElementById("reports-charts");
  if (!source || !window.Chart) {
    return; // a period refused, or Chart.js missing: the tables say it all
  }
  drawCharts(window.Chart, JSON.parse(source.textContent), {
    reducedMotion: window.matchMedia("(prefers-reduced-motion: reduce)").matches,
  });
}

if (typeof document !== "undefined") {
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
}
