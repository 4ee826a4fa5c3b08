//! Plain HTML, escaped: the page frame and the small pieces every page uses.

/// Escapes text for HTML element content and attribute values.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

pub fn yen(amount: i64) -> String {
    let digits = amount.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    format!("{}¥{out}", if amount < 0 { "-" } else { "" })
}

/// A whole page: `title` is escaped, `body` is trusted HTML built from escaped parts.
pub fn page(title: &str, body: &str) -> String {
    format!(
        r#"<!doctype html>
<html lang="ja">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} — 例示きっぷ予約サイト</title>
<link rel="stylesheet" href="/static/site.css">
</head>
<body>
<header><a href="/">例示きっぷ予約サイト <span lang="en">Example Ticket Booking Site</span></a>
<p class="note">A reference site for Techo (illustrative fares, loopback only). 実在しない例示サイトです。</p></header>
<main>
{body}
</main>
<script src="/static/site.js"></script>
</body>
</html>"#,
        title = esc(title)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_formats() {
        assert_eq!(
            esc(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
        assert_eq!(yen(14_720), "¥14,720");
        assert_eq!(yen(490), "¥490");
        assert_eq!(yen(1_000_000), "¥1,000,000");
        assert_eq!(yen(-5), "-¥5");
    }
}
