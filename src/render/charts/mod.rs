//! SVG charts (plotters) rendered to strings for inlining into the HTML
//! report: a line chart (monthly trend), a bar chart (for example substance
//! mix) and a point chart with 95% interval bars for rates.
//!
//! Suppressed or unavailable values are never drawn: they are passed as
//! `None`, left out, and the chart's caption says how many were left out.
//! Every SVG carries `role="img"`, a `<title>` and a `<desc>`; all text goes
//! through plotters' SVG backend (which escapes it) or [`escape_text`].

use plotters::coord::ranged1d::SegmentValue;
use plotters::prelude::*;

mod draw;

pub use draw::{bar_chart, interval_chart, line_chart};

use super::RenderError;

const BLUE: RGBColor = RGBColor(0x1d, 0x70, 0xb8);
const ORANGE: RGBColor = RGBColor(0xf4, 0x77, 0x38);
const GREEN: RGBColor = RGBColor(0x00, 0x70, 0x3c);
const PURPLE: RGBColor = RGBColor(0x4c, 0x2c, 0x92);
const INK: RGBColor = RGBColor(0x0b, 0x0c, 0x0c);
const GRID: RGBColor = RGBColor(0xdd, 0xdd, 0xdd);
/// Series colours (GOV.UK palette), in order.
pub const PALETTE: [RGBColor; 4] = [BLUE, ORANGE, GREEN, PURPLE];
const FONT: &str = "Arial, Helvetica, sans-serif";

/// A rendered chart ready for the page.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Chart {
    /// Element id stem (unique on its page).
    pub id: String,
    /// The SVG markup.
    pub svg: String,
    /// Caption for the `<figcaption>`, including the omitted-values note.
    pub caption: String,
    /// How many values were left out because they are suppressed or missing.
    pub omitted: usize,
}

/// One line of a line chart; `values` align with the chart's categories.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Legend name.
    pub name: String,
    /// One value per category; `None` is not drawn.
    pub values: Vec<Option<f64>>,
}

/// A line chart over ordered categories (months).
#[derive(Debug, Clone, PartialEq)]
pub struct LineChart {
    /// Element id stem.
    pub id: String,
    /// Chart title (also the SVG `<title>`).
    pub title: String,
    /// X-axis label.
    pub x_label: String,
    /// Y-axis label.
    pub y_label: String,
    /// X categories in order.
    pub categories: Vec<String>,
    /// The lines.
    pub series: Vec<Series>,
}

/// A bar chart, one bar per category.
#[derive(Debug, Clone, PartialEq)]
pub struct BarChart {
    /// Element id stem.
    pub id: String,
    /// Chart title.
    pub title: String,
    /// Category axis label.
    pub category_label: String,
    /// Value axis label.
    pub value_label: String,
    /// Bars: category and value (`None` is not drawn).
    pub bars: Vec<(String, Option<f64>)>,
    /// Bars run left to right (categories down the side) when true.
    pub horizontal: bool,
}

/// A rate with its 95% interval.
#[derive(Debug, Clone, PartialEq)]
pub struct RatePoint {
    /// Category.
    pub label: String,
    /// The rate as a proportion 0..1 with its lower and upper bounds; `None`
    /// when suppressed.
    pub rate: Option<(f64, f64, f64)>,
}

/// Rates (proportions) with interval bars, categories down the side.
#[derive(Debug, Clone, PartialEq)]
pub struct IntervalChart {
    /// Element id stem.
    pub id: String,
    /// Chart title.
    pub title: String,
    /// Value axis label (the axis shows percentages).
    pub value_label: String,
    /// The rates.
    pub points: Vec<RatePoint>,
}

/// Escapes text for XML/HTML content and attributes.
pub fn escape_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

fn chart_error(chart: &str) -> impl Fn(String) -> RenderError + '_ {
    move |reason| RenderError::Chart { chart: chart.to_string(), reason }
}

fn omitted_caption(title: &str, omitted: usize) -> String {
    match omitted {
        0 => title.to_string(),
        1 => format!("{title}. One value is not shown because it is confidential [c] or not available."),
        n => format!("{title}. {n} values are not shown because they are confidential [c] or not available."),
    }
}

/// Adds `role="img"`, `aria-labelledby`, `<title>` and `<desc>` to a
/// plotters SVG and makes it scale with its container.
fn label_svg(svg: &str, id: &str, title: &str, caption: &str) -> Result<String, RenderError> {
    let open_end = svg.find('>').filter(|_| svg.starts_with("<svg")).ok_or_else(|| RenderError::Chart {
        chart: id.to_string(),
        reason: "plotters output does not start with <svg".to_string(),
    })?;
    let id = escape_text(id);
    Ok(format!(
        "<svg role=\"img\" aria-labelledby=\"{id}-title {id}-desc\" preserveAspectRatio=\"xMidYMid meet\" style=\"max-width:100%;height:auto\"{}><title id=\"{id}-title\">{}</title><desc id=\"{id}-desc\">{}</desc>{}",
        &svg[4..open_end],
        escape_text(title),
        escape_text(caption),
        &svg[open_end + 1..]
    ))
}

fn value_range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values.fold((0.0_f64, 0.0_f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let hi = if hi <= lo { lo + 1.0 } else { hi };
    (lo, hi * 1.1)
}

/// Longest category label drawn in full; longer ones end in an ellipsis
/// (the table beside the chart carries the full name).
const LABEL_CHARS: usize = 30;

fn short_label(label: &str) -> String {
    if label.chars().count() <= LABEL_CHARS {
        label.to_string()
    } else {
        label.chars().take(LABEL_CHARS - 1).collect::<String>() + "…"
    }
}

fn label_at(labels: &[String], value: &SegmentValue<i32>) -> String {
    match value {
        SegmentValue::CenterOf(i) | SegmentValue::Exact(i) => usize::try_from(*i).ok().and_then(|i| labels.get(i)).map(|l| short_label(l)).unwrap_or_default(),
        SegmentValue::Last => String::new(),
    }
}

fn label_area_width(labels: &[String]) -> u32 {
    let longest = labels.iter().map(|l| l.chars().count().min(LABEL_CHARS)).max().unwrap_or(0) as u32;
    (longest * 8 + 48).clamp(90, 300)
}

fn count_label(v: &f64) -> String {
    super::pivot::display_value("", *v)
}

/// Categories listed down the side read top to bottom: the first category
/// sits at the top segment.
fn flipped(n: usize, i: usize) -> i32 {
    (n - 1 - i) as i32
}

fn finish(id: &str, title: &str, svg: String, omitted: usize) -> Result<Chart, RenderError> {
    let caption = omitted_caption(title, omitted);
    let svg = label_svg(&svg, id, title, &caption)?;
    Ok(Chart { id: id.to_string(), svg, caption, omitted })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The text content of every `<text>` element.
    fn texts(svg: &str) -> Vec<String> {
        svg.split("<text").skip(1).filter_map(|t| t.split_once('>')).map(|(_, rest)| rest.split('<').next().unwrap_or("").trim().to_string()).collect()
    }

    fn months() -> Vec<String> {
        ["2024-04", "2024-05", "2024-06", "2024-07"].map(String::from).to_vec()
    }

    fn line(values: Vec<Option<f64>>, name: &str) -> LineChart {
        LineChart {
            id: "trend".into(),
            title: "New presentations by month".into(),
            x_label: "Month".into(),
            y_label: "New presentations".into(),
            categories: months(),
            series: vec![Series { name: name.into(), values }],
        }
    }

    #[test]
    fn svg_is_labelled_for_assistive_technology() {
        let chart = line_chart(&line(vec![Some(10.0), Some(12.0), Some(11.0), Some(15.0)], "All")).unwrap();
        assert!(chart.svg.starts_with("<svg role=\"img\" aria-labelledby=\"trend-title trend-desc\""), "{}", &chart.svg[..120]);
        assert!(chart.svg.contains("<title id=\"trend-title\">New presentations by month</title>"));
        assert_eq!(chart.svg.matches("<svg").count(), 1);
        let texts = texts(&chart.svg);
        assert!(texts.contains(&"Month".to_string()) && texts.contains(&"New presentations".to_string()), "axis labels drawn: {texts:?}");
        assert!(texts.contains(&"2024-05".to_string()), "category labels drawn: {texts:?}");
        assert_eq!(chart.omitted, 0);
        assert_eq!(chart.caption, "New presentations by month");
    }

    #[test]
    fn suppressed_values_are_not_drawn_and_the_caption_says_so() {
        let all = line_chart(&line(vec![Some(10.0), Some(12.0), Some(11.0), Some(15.0)], "All")).unwrap();
        let gap = line_chart(&line(vec![Some(10.0), None, Some(11.0), Some(15.0)], "All")).unwrap();
        assert_eq!(all.svg.matches("<circle").count(), 4);
        assert_eq!(gap.svg.matches("<circle").count(), 3);
        assert_eq!(gap.omitted, 1);
        assert!(gap.caption.contains("One value is not shown"), "{}", gap.caption);
        let bars = bar_chart(&BarChart {
            id: "mix".into(),
            title: "Substance mix".into(),
            category_label: "Substance group".into(),
            value_label: "People".into(),
            bars: vec![("opiate".into(), Some(30.0)), ("alcohol only".into(), None), ("non-opiate only".into(), None)],
            horizontal: true,
        })
        .unwrap();
        assert_eq!(bars.omitted, 2);
        assert!(bars.caption.contains("2 values are not shown"));
        // One drawn bar only: background fill + plotting area + one bar.
        let blue_rects = bars.svg.matches("fill=\"#1D70B8\"").count();
        assert_eq!(blue_rects, 1, "{}", bars.svg);
    }

    #[test]
    fn labels_with_markup_are_escaped() {
        let chart = bar_chart(&BarChart {
            id: "mix".into(),
            title: "<script>alert(1)</script> title".into(),
            category_label: "Provider".into(),
            value_label: "People".into(),
            bars: vec![("<script>alert(1)</script>".into(), Some(30.0)), ("B & C".into(), Some(10.0))],
            horizontal: false,
        })
        .unwrap();
        assert!(!chart.svg.contains("<script"), "raw tag in SVG");
        assert!(chart.svg.contains("&lt;script&gt;"));
        let line = line_chart(&line(vec![Some(1.0), Some(2.0), Some(3.0), Some(4.0)], "<script>x</script>")).unwrap();
        assert!(!line.svg.contains("<script"));
    }

    #[test]
    fn interval_chart_draws_a_bar_per_published_rate_and_rejects_bad_bounds() {
        let spec = IntervalChart {
            id: "rates".into(),
            title: "Completion rate".into(),
            value_label: "Completion rate (%)".into(),
            points: vec![
                RatePoint { label: "opiate".into(), rate: Some((0.05, 0.04, 0.06)) },
                RatePoint { label: "alcohol only".into(), rate: None },
                RatePoint { label: "non-opiate only".into(), rate: Some((0.3, 0.2, 0.4)) },
            ],
        };
        let chart = interval_chart(&spec).unwrap();
        assert_eq!(chart.svg.matches("<circle").count(), 2);
        assert_eq!(chart.omitted, 1);
        assert!(texts(&chart.svg).contains(&"40%".to_string()), "axis in percent");
        let mut bad = spec.clone();
        bad.points[0].rate = Some((0.05, 0.06, 0.04));
        assert!(matches!(interval_chart(&bad), Err(RenderError::Chart { .. })));
    }

    #[test]
    fn long_category_labels_are_shortened() {
        assert_eq!(short_label("alcohol only"), "alcohol only");
        let long = "a provider with a very long registered name indeed";
        let short = short_label(long);
        assert_eq!(short.chars().count(), LABEL_CHARS);
        assert!(short.ends_with('…'));
    }

    #[test]
    fn mismatched_series_lengths_are_an_error() {
        assert!(line_chart(&line(vec![Some(1.0)], "All")).is_err());
    }
}
