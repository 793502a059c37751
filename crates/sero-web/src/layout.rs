//! The page shell: one stylesheet and one script, both served from the
//! binary; no inline script or style (the CSP forbids them).

use maud::{html, Markup, DOCTYPE};

/// A whole page.
pub(crate) fn page(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · SERO" }
                link rel="stylesheet" href="/assets/style.css";
                script src="/assets/app.js" defer {}
            }
            body {
                header.top {
                    a.brand href="/" { "SERO" }
                    nav {
                        a href="/" { "Explorer" }
                        a href="/wallet" { "Wallet" }
                    }
                    form.search method="get" action="/search" {
                        input type="search" name="q" id="search-q"
                            placeholder="height, block hash, txid, nullifier, contract 0x…";
                        button type="submit" id="search-go" { "Search" }
                    }
                }
                main { (body) }
                footer { "SERO node · explorer and local wallet · works offline" }
            }
        }
    }
}

/// A shortened hex string with the whole value as its title.
pub(crate) fn short(h: &str) -> Markup {
    let s = if h.len() > 18 {
        format!("{}…{}", &h[..10], &h[h.len() - 6..])
    } else {
        h.to_string()
    };
    html! { span.hex title=(h) { (s) } }
}

/// A unix time as UTC `YYYY-MM-DD HH:MM:SS`.
pub(crate) fn time(t: u64) -> String {
    let days = (t / 86_400) as i64;
    let secs = t % 86_400;
    // Civil from days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        secs / 3600,
        (secs / 60) % 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn time_formats_utc() {
        assert_eq!(super::time(0), "1970-01-01 00:00:00");
        assert_eq!(super::time(1_700_000_000), "2023-11-14 22:13:20");
    }
}
