//! Charts drawn here as inline SVG (no script, no external service).
//! Colours and fonts come from classes in the stylesheet (the CSP allows
//! no inline style).

use maud::{html, Markup};

const W: f64 = 360.0;
const H: f64 = 120.0;
const LEFT: f64 = 34.0;
const BOTTOM: f64 = 16.0;

/// A bar chart of `(label, value)`; `empty` when there is nothing.
fn bars(id: &str, values: &[(String, f64)], empty: &str) -> Markup {
    if values.is_empty() {
        return html! { p.muted.chart-empty { (empty) } };
    }
    let max = values.iter().map(|v| v.1).fold(0.0f64, f64::max).max(1e-9);
    let plot_w = W - LEFT - 4.0;
    let plot_h = H - BOTTOM - 8.0;
    let step = plot_w / values.len() as f64;
    let bw = (step * 0.8).max(1.0);
    let fmt = |v: f64| {
        if v >= 10.0 || v == v.trunc() {
            format!("{v:.0}")
        } else {
            format!("{v:.1}")
        }
    };
    html! {
        svg.chart id=(id) viewBox={ "0 0 " (W) " " (H) } role="img" xmlns="http://www.w3.org/2000/svg" {
            line.axis x1=(LEFT) y1=(8.0) x2=(LEFT) y2=(H - BOTTOM) {}
            line.axis x1=(LEFT) y1=(H - BOTTOM) x2=(W - 4.0) y2=(H - BOTTOM) {}
            text.tick x=(LEFT - 3.0) y=(12.0) text-anchor="end" { (fmt(max)) }
            text.tick x=(LEFT - 3.0) y=(H - BOTTOM) text-anchor="end" { "0" }
            @for (i, (label, v)) in values.iter().enumerate() {
                @let h = (v / max * plot_h).max(if *v > 0.0 { 1.0 } else { 0.0 });
                @let x = LEFT + 1.0 + i as f64 * step;
                rect.bar x=(format!("{x:.1}")) y=(format!("{:.1}", H - BOTTOM - h)) width=(format!("{bw:.1}")) height=(format!("{h:.1}")) {
                    title { (label) ": " (fmt(*v)) }
                }
            }
            text.tick x=(LEFT + 1.0) y=(H - 3.0) { (values[0].0) }
            text.tick x=(W - 4.0) y=(H - 3.0) text-anchor="end" { (values[values.len() - 1].0) }
        }
    }
}

/// Seconds between consecutive blocks.
pub(crate) fn interval(series: &[(u64, u64, usize)]) -> Markup {
    let v: Vec<(String, f64)> = series
        .windows(2)
        .map(|w| (format!("#{}", w[1].0), w[1].1.saturating_sub(w[0].1) as f64))
        .collect();
    bars("chart-interval", &v, "Not enough blocks yet.")
}

/// Seconds from a block's timestamp until this node saw it final.
pub(crate) fn finality(points: &[(u64, f64)]) -> Markup {
    let v: Vec<(String, f64)> = points.iter().map(|(h, s)| (format!("#{h}"), *s)).collect();
    bars(
        "chart-finality",
        &v,
        "No block finalized since this node started.",
    )
}

/// Transactions in each block.
pub(crate) fn tx_counts(series: &[(u64, u64, usize)]) -> Markup {
    let v: Vec<(String, f64)> = series
        .iter()
        .map(|(h, _, n)| (format!("#{h}"), *n as f64))
        .collect();
    bars("chart-txs", &v, "No blocks yet.")
}

/// Each validator's share of the total stake, as horizontal bars.
pub(crate) fn stakes(stakes: &[(String, u64)]) -> Markup {
    let total: u128 = stakes.iter().map(|s| s.1 as u128).sum();
    if stakes.is_empty() || total == 0 {
        return html! { p.muted.chart-empty { "No staked validators (a development chain has a single producer)." } };
    }
    let mut sorted = stakes.to_vec();
    sorted.sort_by_key(|s| std::cmp::Reverse(s.1));
    sorted.truncate(12);
    let row_h = 18.0;
    let h = row_h * sorted.len() as f64 + 4.0;
    html! {
        svg.chart id="chart-stakes" viewBox={ "0 0 " (W) " " (h) } role="img" xmlns="http://www.w3.org/2000/svg" {
            @for (i, (key, stake)) in sorted.iter().enumerate() {
                @let share = *stake as f64 / total as f64;
                @let y = 2.0 + i as f64 * row_h;
                text.tick x="0" y=(format!("{:.1}", y + 12.0)) { (&key[..8.min(key.len())]) }
                rect.bar x="60" y=(format!("{y:.1}")) width=(format!("{:.1}", (W - 120.0) * share)) height=(row_h - 4.0) {
                    title { (key) ": " (stake) }
                }
                text.tick x=(W - 4.0) y=(format!("{:.1}", y + 12.0)) text-anchor="end" { (format!("{:.1} %", share * 100.0)) }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_are_svg_without_inline_style() {
        let s = interval(&[(1, 10, 0), (2, 13, 2), (3, 14, 1)]).into_string();
        assert!(s.starts_with("<svg"));
        assert!(s.contains("#3: 1"));
        assert!(!s.contains("style="));
        let s = stakes(&[("aa".repeat(32), 3), ("bb".repeat(32), 1)]).into_string();
        assert!(s.contains("75.0 %") && s.contains("25.0 %"));
        assert!(interval(&[]).into_string().contains("Not enough"));
    }
}
