//! Drawing of the three chart types with plotters' SVG backend.

use plotters::coord::ranged1d::SegmentValue;
use plotters::prelude::*;

use super::{
    chart_error, count_label, finish, flipped, label_area_width, label_at, value_range, BarChart, Chart, IntervalChart, LineChart, BLUE, FONT,
    GRID, INK, PALETTE,
};
use crate::render::RenderError;

/// Renders a line chart; each series is drawn in unbroken runs between
/// omitted values, with a marker on every drawn point.
pub fn line_chart(spec: &LineChart) -> Result<Chart, RenderError> {
    let err = chart_error(&spec.id);
    let n = spec.categories.len();
    if n == 0 || spec.series.iter().any(|s| s.values.len() != n) {
        return Err(err(format!("{} categories but series of other lengths", n)));
    }
    let omitted = spec.series.iter().flat_map(|s| &s.values).filter(|v| v.is_none()).count();
    let (lo, hi) = value_range(spec.series.iter().flat_map(|s| s.values.iter().flatten().copied()));
    // Room above the lines for the legend (upper right), so it never covers a point.
    let hi = if spec.series.len() > 1 { lo + (hi - lo) * (1.0 + 0.1 * spec.series.len() as f64) } else { hi };
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (760, 380)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| err(e.to_string()))?;
        let mut chart = ChartBuilder::on(&root)
            .margin(16)
            .x_label_area_size(56)
            .y_label_area_size(72)
            .build_cartesian_2d((0..n as i32 - 1).into_segmented(), lo..hi)
            .map_err(|e| err(e.to_string()))?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .light_line_style(WHITE.mix(0.0))
            .bold_line_style(GRID)
            .x_labels(n)
            .x_label_formatter(&|v| label_at(&spec.categories, v))
            .y_label_formatter(&count_label)
            .x_desc(spec.x_label.as_str())
            .y_desc(spec.y_label.as_str())
            .label_style((FONT, 16).into_font().color(&INK))
            .axis_desc_style((FONT, 17).into_font().color(&INK))
            .draw()
            .map_err(|e| err(e.to_string()))?;
        for (index, series) in spec.series.iter().enumerate() {
            let colour = PALETTE[index % PALETTE.len()];
            let mut run: Vec<(SegmentValue<i32>, f64)> = Vec::new();
            let mut runs = Vec::new();
            for (i, value) in series.values.iter().enumerate() {
                match value {
                    Some(v) => run.push((SegmentValue::CenterOf(i as i32), *v)),
                    None => runs.push(std::mem::take(&mut run)),
                }
            }
            runs.push(run);
            let mut legend_drawn = false;
            for run in runs.into_iter().filter(|r| !r.is_empty()) {
                let drawn = chart
                    .draw_series(LineSeries::new(run.clone(), colour.stroke_width(3)))
                    .map_err(|e| err(e.to_string()))?;
                if !legend_drawn {
                    drawn.label(series.name.as_str()).legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(3)));
                    legend_drawn = true;
                }
                chart
                    .draw_series(run.into_iter().map(|p| Circle::new(p, 4, colour.filled())))
                    .map_err(|e| err(e.to_string()))?;
            }
        }
        if spec.series.len() > 1 {
            chart
                .configure_series_labels()
                .background_style(WHITE.mix(0.9))
                .border_style(GRID)
                .label_font((FONT, 16).into_font().color(&INK))
                .position(SeriesLabelPosition::UpperRight)
                .draw()
                .map_err(|e| err(e.to_string()))?;
        }
        root.present().map_err(|e| err(e.to_string()))?;
    }
    finish(spec.id.as_str(), &spec.title, svg, omitted)
}

/// Renders a bar chart; omitted bars leave their category empty.
pub fn bar_chart(spec: &BarChart) -> Result<Chart, RenderError> {
    let err = chart_error(&spec.id);
    let n = spec.bars.len();
    if n == 0 {
        return Err(err("no bars".to_string()));
    }
    let labels: Vec<String> = spec.bars.iter().map(|(l, _)| l.clone()).collect();
    let omitted = spec.bars.iter().filter(|(_, v)| v.is_none()).count();
    let (lo, hi) = value_range(spec.bars.iter().filter_map(|(_, v)| *v));
    let mut svg = String::new();
    let size = if spec.horizontal { (760, 80 + 44 * n as u32) } else { (760, 380) };
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        root.fill(&WHITE).map_err(|e| err(e.to_string()))?;
        let mut builder = ChartBuilder::on(&root);
        builder.margin(16).x_label_area_size(48);
        let bars = spec.bars.iter().enumerate().filter_map(|(i, (_, v))| v.map(|v| (i as i32, v)));
        if spec.horizontal {
            let bars = bars.map(|(i, v)| (flipped(n, i as usize), v));
            let labels: Vec<String> = labels.iter().rev().cloned().collect();
            builder.y_label_area_size(label_area_width(&labels));
            let mut chart = builder.build_cartesian_2d(lo..hi, (0..n as i32 - 1).into_segmented()).map_err(|e| err(e.to_string()))?;
            chart
                .configure_mesh()
                .disable_y_mesh()
                .light_line_style(WHITE.mix(0.0))
                .bold_line_style(GRID)
                .y_labels(n)
                .y_label_formatter(&|v| label_at(&labels, v))
                .x_label_formatter(&count_label)
                .x_desc(spec.value_label.as_str())
                .y_desc(spec.category_label.as_str())
                .label_style((FONT, 16).into_font().color(&INK))
                .axis_desc_style((FONT, 17).into_font().color(&INK))
                .draw()
                .map_err(|e| err(e.to_string()))?;
            chart
                .draw_series(bars.map(|(i, v)| {
                    let mut bar = Rectangle::new([(0.0, SegmentValue::Exact(i)), (v, SegmentValue::Exact(i + 1))], BLUE.filled());
                    bar.set_margin(6, 6, 0, 0);
                    bar
                }))
                .map_err(|e| err(e.to_string()))?;
        } else {
            builder.y_label_area_size(72);
            let mut chart = builder.build_cartesian_2d((0..n as i32 - 1).into_segmented(), lo..hi).map_err(|e| err(e.to_string()))?;
            chart
                .configure_mesh()
                .disable_x_mesh()
                .light_line_style(WHITE.mix(0.0))
                .bold_line_style(GRID)
                .x_labels(n)
                .x_label_formatter(&|v| label_at(&labels, v))
                .y_label_formatter(&count_label)
                .x_desc(spec.category_label.as_str())
                .y_desc(spec.value_label.as_str())
                .label_style((FONT, 16).into_font().color(&INK))
                .axis_desc_style((FONT, 17).into_font().color(&INK))
                .draw()
                .map_err(|e| err(e.to_string()))?;
            chart
                .draw_series(bars.map(|(i, v)| {
                    let mut bar = Rectangle::new([(SegmentValue::Exact(i), 0.0), (SegmentValue::Exact(i + 1), v)], BLUE.filled());
                    bar.set_margin(0, 0, 8, 8);
                    bar
                }))
                .map_err(|e| err(e.to_string()))?;
        }
        root.present().map_err(|e| err(e.to_string()))?;
    }
    finish(&spec.id, &spec.title, svg, omitted)
}

/// Renders rates as points with their 95% interval as a bar with end caps.
pub fn interval_chart(spec: &IntervalChart) -> Result<Chart, RenderError> {
    let err = chart_error(&spec.id);
    let n = spec.points.len();
    if n == 0 {
        return Err(err("no points".to_string()));
    }
    for point in &spec.points {
        if let Some((rate, lower, upper)) = point.rate {
            if !(0.0 <= lower && lower <= rate && rate <= upper && upper <= 1.0) {
                return Err(err(format!("{}: interval {lower}..{upper} does not hold rate {rate} within 0..1", point.label)));
            }
        }
    }
    let labels: Vec<String> = spec.points.iter().rev().map(|p| p.label.clone()).collect();
    let omitted = spec.points.iter().filter(|p| p.rate.is_none()).count();
    let top = spec.points.iter().filter_map(|p| p.rate.map(|r| r.2)).fold(0.0_f64, f64::max);
    let hi = ((top * 100.0 / 10.0).ceil() * 10.0).clamp(10.0, 100.0);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (760, 80 + 44 * n as u32)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| err(e.to_string()))?;
        let mut chart = ChartBuilder::on(&root)
            .margin(16)
            .x_label_area_size(48)
            .y_label_area_size(label_area_width(&labels))
            .build_cartesian_2d(0.0..hi, (0..n as i32 - 1).into_segmented())
            .map_err(|e| err(e.to_string()))?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .light_line_style(WHITE.mix(0.0))
            .bold_line_style(GRID)
            .y_labels(n)
            .y_label_formatter(&|v| label_at(&labels, v))
            .x_label_formatter(&|v| format!("{v:.0}%"))
            .x_desc(spec.value_label.as_str())
            .label_style((FONT, 16).into_font().color(&INK))
            .axis_desc_style((FONT, 17).into_font().color(&INK))
            .draw()
            .map_err(|e| err(e.to_string()))?;
        let drawn = spec.points.iter().enumerate().filter_map(|(i, p)| p.rate.map(|r| (flipped(n, i), r)));
        for (i, (rate, lower, upper)) in drawn {
            let y = || SegmentValue::CenterOf(i);
            let (rate, lower, upper) = (rate * 100.0, lower * 100.0, upper * 100.0);
            chart
                .draw_series([PathElement::new(vec![(lower, y()), (upper, y())], INK.stroke_width(2))])
                .map_err(|e| err(e.to_string()))?;
            // End caps: short vertical strokes in pixels around each bound.
            chart
                .draw_series([lower, upper].map(|end| EmptyElement::at((end, y())) + PathElement::new(vec![(0, -8), (0, 8)], INK.stroke_width(2))))
                .map_err(|e| err(e.to_string()))?;
            chart.draw_series([Circle::new((rate, y()), 6, BLUE.filled())]).map_err(|e| err(e.to_string()))?;
        }
        root.present().map_err(|e| err(e.to_string()))?;
    }
    let title = format!("{} (points: rate; bars: 95% confidence interval)", spec.title);
    finish(&spec.id, &title, svg, omitted)
}
