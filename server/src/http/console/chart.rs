//! Bar charts drawn on the server as SVG: no script, no library, readable
//! without colour (each chart has a title, a description with its totals,
//! and its figures as a table beside it), coloured by the stylesheet so they
//! follow light and dark.

use leptos::prelude::*;

/// One series of bars (stacked on the ones before it).
pub struct Series {
    pub name: &'static str,
    /// The stylesheet's class for its colour.
    pub class: &'static str,
    pub values: Vec<f64>,
}

/// What the values are.
#[derive(Clone, Copy)]
pub enum Unit {
    Count,
    Percent,
    /// Minor units of a currency with 2 decimals.
    Money,
}

impl Unit {
    fn show(self, v: f64) -> String {
        match self {
            Unit::Count => format!("{v:.0}"),
            Unit::Percent => format!("{v:.1} %"),
            Unit::Money => format!("{:.2}", v / 100.0),
        }
    }
}

const W: f64 = 640.0;
const H: f64 = 180.0;
const LEFT: f64 = 56.0;
const BOTTOM: f64 = 24.0;
const TOP: f64 = 8.0;

/// A round top for the axis: 1, 2 or 5 times a power of ten.
fn nice_ceiling(v: f64) -> f64 {
    if v <= 0.0 {
        return 1.0;
    }
    let power = 10f64.powf(v.log10().floor());
    [1.0, 2.0, 5.0, 10.0].into_iter().map(|m| m * power).find(|c| *c >= v).unwrap_or(10.0 * power)
}

#[component]
pub fn BarChart(id: String, title: String, summary: String, unit: Unit, labels: Vec<String>, series: Vec<Series>) -> impl IntoView {
    let n = labels.len().max(1);
    let totals: Vec<f64> = (0..n).map(|i| series.iter().map(|s| s.values.get(i).copied().unwrap_or(0.0)).sum()).collect();
    let top = match unit {
        Unit::Percent => 100.0,
        _ => nice_ceiling(totals.iter().copied().fold(0.0, f64::max)),
    };
    let plot_w = W - LEFT;
    let plot_h = H - BOTTOM - TOP;
    let step = plot_w / n as f64;
    let bar_w = (step * 0.8).max(1.0);
    let y = |v: f64| TOP + plot_h - v / top * plot_h;
    let mut bars = Vec::new();
    for i in 0..n {
        let mut base = 0.0;
        for s in &series {
            let v = s.values.get(i).copied().unwrap_or(0.0);
            if v > 0.0 {
                let (y0, y1) = (y(base + v), y(base));
                bars.push((s.class, LEFT + i as f64 * step + (step - bar_w) / 2.0, y0, bar_w, (y1 - y0).max(0.5)));
            }
            base += v;
        }
    }
    // A middle line only where it is a whole count.
    let fractions: &[f64] = if matches!(unit, Unit::Count) && top < 2.0 { &[0.0, 1.0] } else { &[0.0, 0.5, 1.0] };
    let grid: Vec<(f64, String)> = fractions.iter().map(|f| (y(top * f), unit.show(top * f))).collect();
    // The first day's date from its bar's left, the last's to its right, the middle's centred.
    let ticks: Vec<(f64, &'static str, String)> = [0, n / 2, n - 1]
        .into_iter()
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .filter_map(|i| {
            let label = labels.get(i)?.clone();
            Some(match i {
                0 => (LEFT + (step - bar_w) / 2.0, "start", label),
                i if i == n - 1 => (LEFT + i as f64 * step + (step + bar_w) / 2.0, "end", label),
                i => (LEFT + i as f64 * step + step / 2.0, "middle", label),
            })
        })
        .collect();
    let title_id = format!("{id}-title");
    let desc_id = format!("{id}-desc");
    let labelled = format!("{title_id} {desc_id}");
    let table_rows: Vec<(String, Vec<String>)> = labels
        .iter()
        .enumerate()
        .map(|(i, l)| (l.clone(), series.iter().map(|s| unit.show(s.values.get(i).copied().unwrap_or(0.0))).collect()))
        .collect();
    let names: Vec<&'static str> = series.iter().map(|s| s.name).collect();
    let legend: Vec<(&'static str, &'static str)> = series.iter().map(|s| (s.name, s.class)).collect();
    let view_box = format!("0 0 {W} {H}");
    view! {
        <figure class="chart" id=id>
            <figcaption><strong>{title.clone()}</strong>" — "{summary.clone()}</figcaption>
            <svg viewBox=view_box role="img" aria-labelledby=labelled class="chart-svg">
                <title id=title_id>{title}</title>
                <desc id=desc_id>{summary}</desc>
                {grid.into_iter().map(|(gy, label)| view! {
                    <line x1=LEFT x2=W y1=gy y2=gy class="grid"/>
                    <text x=LEFT - 6.0 y=gy + 4.0 text-anchor="end" class="axis">{label}</text>
                }).collect_view()}
                {bars.into_iter().map(|(class, x, y0, w, h)| view! { <rect x=x y=y0 width=w height=h class=class/> }).collect_view()}
                {ticks.into_iter().map(|(x, anchor, label)| view! { <text x=x y=H - 6.0 text-anchor=anchor class="axis">{label}</text> }).collect_view()}
            </svg>
            {(legend.len() > 1).then(|| view! {
                <ul class="legend">{legend.into_iter().map(|(name, class)| view! { <li><span class=format!("swatch {class}")></span>{name}</li> }).collect_view()}</ul>
            })}
            <details>
                <summary>"The figures"</summary>
                <div class="scroll"><table>
                    <thead><tr><th scope="col">"Day"</th>{names.into_iter().map(|n| view! { <th scope="col" class="num">{n}</th> }).collect_view()}</tr></thead>
                    <tbody>{table_rows.into_iter().map(|(day, values)| view! {
                        <tr><td>{day}</td>{values.into_iter().map(|v| view! { <td class="num">{v}</td> }).collect_view()}</tr>
                    }).collect_view()}</tbody>
                </table></div>
            </details>
        </figure>
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_axis_tops_at_a_round_number_at_or_above_the_highest_bar() {
        for (v, top) in [(0.0, 1.0), (1.0, 1.0), (3.0, 5.0), (7.0, 10.0), (12.0, 20.0), (480.0, 500.0), (501.0, 1000.0)] {
            assert_eq!(super::nice_ceiling(v), top, "{v}");
        }
    }
}
