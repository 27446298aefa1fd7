//! The four measures week by week as an SVG picture (`plotters`, SVG backend only: the text is
//! SVG `<text>`, laid out by an estimate, so no font is read).

use plotters::prelude::*;

use super::{MAX_SVG_WEEKS, Metrics, WEEK_S, WeekFigures};
use crate::error::{Error, InputError};

/// One panel: its title (also the series' legend), the unit of its axis, and its value of a
/// week (`None`: nothing to measure that week, no point drawn).
struct Panel {
    title: &'static str,
    unit: &'static str,
    value: fn(&WeekFigures) -> Option<f64>,
    color: RGBColor,
}

const PANELS: [Panel; 4] = [
    Panel {
        title: "Deployments per week",
        unit: "deployments",
        value: |w| Some(w.figures.deployments as f64),
        color: RGBColor(31, 119, 180),
    },
    Panel {
        title: "Lead time, median (hours)",
        unit: "hours",
        value: |w| w.figures.lead_time_median_s.map(|s| s as f64 / 3600.0),
        color: RGBColor(44, 160, 44),
    },
    Panel {
        title: "Change failure rate (%)",
        unit: "% of deployments",
        value: |w| w.figures.change_failure_rate.map(|r| r * 100.0),
        color: RGBColor(214, 39, 40),
    },
    Panel {
        title: "Time to restore, median (hours)",
        unit: "hours",
        value: |w| {
            w.figures
                .time_to_restore_median_s
                .map(|s| s as f64 / 3600.0)
        },
        color: RGBColor(148, 103, 189),
    },
];

fn drawing(e: impl std::fmt::Display) -> Error {
    Error::Internal {
        message: format!("drawing the metrics: {e}"),
    }
}

pub(super) fn draw(m: &Metrics) -> Result<String, Error> {
    if let (Some(f), Some(t)) = (m.from, m.to) {
        let weeks = (t - f).num_seconds() / WEEK_S;
        if weeks >= MAX_SVG_WEEKS as i64 {
            return Err(InputError::new(
                "to",
                format!(
                    "the picture shows at most {MAX_SVG_WEEKS} weeks; the period has {weeks}: \
                     narrow it with from/to"
                ),
            )
            .into());
        }
    }
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (960, 1100)).into_drawing_area();
        root.fill(&WHITE).map_err(drawing)?;
        let period = match (m.from, m.to) {
            (Some(f), Some(t)) => format!("{} to {}", f.format("%Y-%m-%d"), t.format("%Y-%m-%d")),
            _ => "no deployments".to_string(),
        };
        let root = root
            .titled(
                &format!("Delivery metrics week by week, {period}"),
                ("sans-serif", 22),
            )
            .map_err(drawing)?;
        let weeks = m.weeks.len().max(1) as f64;
        let label = |x: &f64| {
            let i = x.floor() as usize;
            m.weeks
                .get(i)
                .map(|w| w.start.format("%m-%d").to_string())
                .unwrap_or_default()
        };
        for (area, panel) in root.split_evenly((4, 1)).iter().zip(PANELS.iter()) {
            let points: Vec<(f64, f64)> = m
                .weeks
                .iter()
                .enumerate()
                .filter_map(|(i, w)| (panel.value)(w).map(|v| (i as f64 + 0.5, v)))
                .collect();
            let top = points.iter().map(|p| p.1).fold(0.0, f64::max);
            // Headroom above the highest point for the legend.
            let top = if top > 0.0 { top * 1.35 } else { 1.0 };
            let mut chart = ChartBuilder::on(area)
                .caption(panel.title, ("sans-serif", 17))
                .margin(8)
                .x_label_area_size(38)
                .y_label_area_size(64)
                .build_cartesian_2d(0f64..weeks, 0f64..top)
                .map_err(drawing)?;
            chart
                .configure_mesh()
                .x_desc("week starting (UTC)")
                .y_desc(panel.unit)
                .x_labels((m.weeks.len() + 1).clamp(2, 14))
                .y_labels(6)
                .light_line_style(WHITE)
                .x_label_formatter(&label)
                .draw()
                .map_err(drawing)?;
            let style = ShapeStyle::from(&panel.color).stroke_width(2);
            chart
                .draw_series(LineSeries::new(points.iter().copied(), style))
                .map_err(drawing)?
                .label(panel.title)
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 18, y)], panel.color.stroke_width(2))
                });
            chart
                .draw_series(
                    points
                        .iter()
                        .map(|p| Circle::new(*p, 3, panel.color.filled())),
                )
                .map_err(drawing)?;
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::UpperRight)
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK)
                .draw()
                .map_err(drawing)?;
        }
        root.present().map_err(drawing)?;
    }
    Ok(out)
}
