//! `techo preview`: the counter screen drawn to SVG, and to PNG through resvg with the bundled
//! Japanese font, at phone sizes. This is how the screen is reviewed on a desktop; the phone
//! shells draw the same view model natively.

use crate::error::CliError;
use std::fmt::Write;
use std::path::Path;
use std::sync::Arc;
use techo_core::counter::{CounterSession, QrState};
use techo_core::model::HandbookDraft;
use techo_core::model::image_intake::{self, ImageLimits};
use techo_core::screen::{CounterScreen, Emphasis, ItemKey, Options};
use techo_core::token::{ClaimId, DevIssuer, QrImage};
use techo_core::{Clock, Wallet};

const FONT: &[u8] = include_bytes!("../../fixtures/fonts/NotoSansCJKjp-Bold-subset.otf");
const FAMILY: &str = "Noto Sans CJK JP";
/// The layout is drawn on a 390-pt-wide canvas and scaled to the output size.
const CANVAS_W: f64 = 390.0;

pub struct PreviewArgs<'a> {
    pub out: &'a Path,
    pub handbook: Option<&'a str>,
    pub width: u32,
    pub height: u32,
    pub options: Options,
    /// Draw this page image (0-based) enlarged instead of the photo and QR.
    pub page: Option<usize>,
    /// The operator's coupon (operator id, coupon id) the code carries, as the holder chose it
    /// from the coupon list: drawn through the counter session, band and all.
    pub coupon: Option<(String, String)>,
}

/// What takes the QR code's place on the drawing.
#[derive(Debug, Clone, Copy)]
pub enum Code<'a> {
    Qr(&'a QrImage),
    /// No code: what the phone says instead (not linked, unlock, ran out, …).
    Says(&'a str),
}

fn mime(bytes: &[u8]) -> &'static str {
    if bytes.starts_with(b"\x89PNG") {
        "image/png"
    } else {
        "image/jpeg"
    }
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn base64(bytes: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(T[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Shrinks `size` until `text` fits `width` (CJK glyphs are about one em wide, Latin about half).
fn fit(text: &str, size: f64, width: f64) -> f64 {
    let ems: f64 = text
        .chars()
        .map(|c| if c.is_ascii() { 0.56 } else { 1.0 })
        .sum();
    if ems * size > width {
        (width / ems).max(9.0)
    } else {
        size
    }
}

/// `text` broken into lines no wider than `width` at `size` (the same em estimate as [`fit`]);
/// spaces are preferred as break points, CJK text breaks anywhere.
fn wrap(text: &str, size: f64, width: f64) -> Vec<String> {
    let em = |c: char| if c.is_ascii() { 0.56 } else { 1.0 };
    let mut lines = vec![String::new()];
    let mut used = 0.0;
    for word in text.split_inclusive(' ') {
        let word_width: f64 = word.chars().map(em).sum::<f64>() * size;
        let line = lines.last_mut().expect("starts with one line");
        if used + word_width <= width || line.is_empty() && word.is_ascii() {
            line.push_str(word);
            used += word_width;
            continue;
        }
        if word.is_ascii() {
            lines.push(word.to_owned());
            used = word_width;
            continue;
        }
        for c in word.chars() {
            let line = lines.last_mut().expect("starts with one line");
            if used + em(c) * size > width && !line.is_empty() {
                lines.push(String::new());
                used = 0.0;
            }
            lines.last_mut().expect("starts with one line").push(c);
            used += em(c) * size;
        }
    }
    lines.iter().map(|l| l.trim_end().to_owned()).collect()
}

fn px(n: usize) -> f64 {
    f64::from(u32::try_from(n).unwrap_or(u32::MAX))
}

/// An SVG being drawn top to bottom on the 390-pt canvas.
struct Canvas<'a> {
    out: String,
    y: f64,
    screen: &'a CounterScreen,
}

impl<'a> Canvas<'a> {
    /// A canvas with the frame, the bands at the top and the verified items drawn.
    fn top(screen: &'a CounterScreen, height: f64) -> Self {
        let mut c = Canvas {
            out: String::new(),
            y: 0.0,
            screen,
        };
        c.frame(height);
        c.items();
        c
    }

    fn frame(&mut self, height: f64) {
        let sc = self.screen;
        let glow = 0.35 + 0.35 * (sc.live.glow_phase * std::f64::consts::TAU).sin();
        let _ = write!(
            self.out,
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{CANVAS_W}" height="{height}" viewBox="0 0 {CANVAS_W} {height}" font-family="{FAMILY}" font-weight="bold"><rect width="100%" height="100%" fill="{}"/><rect x="6" y="6" width="{}" height="{}" rx="22" fill="none" stroke="{}" stroke-width="8" opacity="{glow:.3}"/>"#,
            sc.background,
            CANVAS_W - 12.0,
            height - 12.0,
            sc.accent
        );
        self.y = 24.0;
        if let Some(band) = &sc.guardian {
            let _ = write!(
                self.out,
                r#"<rect x="12" y="{}" width="{}" height="34" rx="8" fill="{}"/><text x="24" y="{}" font-size="{:.1}" fill="{}">{}</text>"#,
                self.y - 8.0,
                CANVAS_W - 24.0,
                band.background,
                self.y + 15.0,
                fit(&band.text, 15.0, CANVAS_W - 48.0),
                band.text_colour,
                esc(&band.text)
            );
            self.y += 40.0;
        }
        if let Some(banner) = &sc.update_banner {
            let _ = write!(
                self.out,
                r##"<rect x="0" y="{}" width="{CANVAS_W}" height="34" fill="#A80000"/><text x="16" y="{}" font-size="12" fill="#FFFFFF">{}</text>"##,
                self.y,
                self.y + 22.0,
                esc(banner)
            );
            self.y += 44.0;
        }
    }

    fn items(&mut self) {
        let sc = self.screen;
        let y = self.y;
        let shape = match sc.shape {
            techo_core::screen::palette::Shape::Circle => format!(
                r#"<circle cx="36" cy="{}" r="14" fill="{}"/>"#,
                y + 26.0,
                sc.accent
            ),
            techo_core::screen::palette::Shape::Diamond => format!(
                r#"<polygon points="36,{} 50,{} 36,{} 22,{}" fill="{}"/>"#,
                y + 10.0,
                y + 26.0,
                y + 42.0,
                y + 26.0,
                sc.accent
            ),
            techo_core::screen::palette::Shape::Square => format!(
                r#"<rect x="23" y="{}" width="26" height="26" fill="{}"/>"#,
                y + 13.0,
                sc.accent
            ),
        };
        self.out.push_str(&shape);
        for item in sc.items.iter().filter(|i| i.key != ItemKey::Photo) {
            let colour = match item.emphasis {
                Emphasis::Alert => "#A80000",
                Emphasis::Caution => sc.accent.as_str(),
                Emphasis::Normal => sc.text_colour.as_str(),
            };
            let (size, x) = if item.key == ItemKey::Kind {
                (sc.sizes.kind_pt * 0.75, 60.0)
            } else {
                (sc.sizes.item_pt * 0.75, 20.0)
            };
            if item.key == ItemKey::Kind {
                self.y += size + 18.0;
            } else {
                self.y += 30.0;
                let _ = write!(
                    self.out,
                    r#"<text x="{x}" y="{}" font-size="11" fill="{}" opacity="0.8">{}</text>"#,
                    self.y,
                    sc.text_colour,
                    esc(&item.label)
                );
                self.y += size + 6.0;
            }
            let size = fit(&item.value, size, CANVAS_W - x - 16.0);
            let _ = write!(
                self.out,
                r#"<text x="{x}" y="{}" font-size="{size:.1}" fill="{colour}">{}</text>"#,
                self.y,
                esc(&item.value)
            );
        }
        self.y += 24.0;
    }

    /// Photo on the left (or enlarged across), QR on the right (or below).
    fn photo_and_qr(&mut self, photo: Option<&[u8]>, code: Code<'_>) {
        let enlarged = self.screen.photo_enlarged;
        if let Some(bytes) = photo {
            let (w, h) = if enlarged {
                (300.0, 400.0)
            } else {
                (96.0, 128.0)
            };
            let x = if enlarged { (CANVAS_W - w) / 2.0 } else { 20.0 };
            let _ = write!(
                self.out,
                r#"<image x="{x}" y="{}" width="{w}" height="{h}" href="data:{};base64,{}"/>"#,
                self.y,
                mime(bytes),
                base64(bytes)
            );
            if enlarged {
                self.y += h + 12.0;
            }
        }
        let size = 200.0;
        let (qx, qy) = if enlarged {
            ((CANVAS_W - size) / 2.0, self.y)
        } else {
            (CANVAS_W - size - 20.0, self.y)
        };
        let _ = write!(
            self.out,
            r##"<rect x="{}" y="{}" width="{}" height="{}" fill="#FFFFFF"/>"##,
            qx - 8.0,
            qy - 8.0,
            size + 16.0,
            size + 16.0
        );
        match code {
            Code::Qr(q) => {
                let m = size / px(q.width);
                for row in 0..q.width {
                    for col in 0..q.width {
                        if q.dark(col, row) {
                            let _ = write!(
                                self.out,
                                r##"<rect x="{:.2}" y="{:.2}" width="{m:.2}" height="{m:.2}" fill="#000000"/>"##,
                                qx + px(col) * m,
                                qy + px(row) * m
                            );
                        }
                    }
                }
            }
            Code::Says(text) => {
                let lines = wrap(text, 14.0, size - 8.0);
                let mut y = qy + size / 2.0 - 9.0 * px(lines.len().saturating_sub(1));
                for line in lines {
                    let _ = write!(
                        self.out,
                        r##"<text x="{}" y="{y}" font-size="14" fill="#555555">{}</text>"##,
                        qx + 4.0,
                        esc(&line)
                    );
                    y += 18.0;
                }
            }
        }
        self.y = qy + size + 40.0;
    }

    /// The coupon the code carries ("クーポン：… ／ 事業者"), framed in the accent colour just
    /// above the code, as the phones draw it.
    fn coupon_band(&mut self) {
        let Some(text) = &self.screen.coupon else {
            return;
        };
        let top = self.y - 14.0;
        let _ = write!(
            self.out,
            r##"<rect x="14" y="{top}" width="{}" height="30" rx="8" fill="#FFFFFF" stroke="{}" stroke-width="2"/><text x="24" y="{}" font-size="{:.1}" fill="#202124">{}</text>"##,
            CANVAS_W - 28.0,
            self.screen.accent,
            top + 20.0,
            fit(text, 14.0, CANVAS_W - 48.0),
            esc(text)
        );
        self.y = top + 30.0 + 26.0;
    }

    /// The self-declared support band: neutral colours, a dashed outline and a "本人申告" tag, so
    /// it never reads as one of the issuer-verified items above it.
    fn support_band(&mut self) {
        let Some(band) = &self.screen.support else {
            return;
        };
        let rows = band.lines.len() + usize::from(band.note.is_some());
        let h = 34.0 + 17.0 * px(rows);
        let top = self.y - 12.0;
        let _ = write!(
            self.out,
            r#"<rect x="14" y="{top}" width="{}" height="{h}" rx="10" fill="{}" stroke="{}" stroke-width="1.5" stroke-dasharray="5 4"/>"#,
            CANVAS_W - 28.0,
            band.background,
            band.outline
        );
        let tag_w = 14.0 + 11.0 * px(band.tag.chars().count());
        let _ = write!(
            self.out,
            r##"<rect x="{}" y="{}" width="{tag_w}" height="18" rx="9" fill="{}"/><text x="{}" y="{}" font-size="10" fill="#FFFFFF">{}</text>"##,
            CANVAS_W - 24.0 - tag_w,
            top + 6.0,
            band.outline,
            CANVAS_W - 17.0 - tag_w,
            top + 19.0,
            esc(&band.tag)
        );
        let _ = write!(
            self.out,
            r#"<text x="24" y="{}" font-size="{:.1}" fill="{}">{}</text>"#,
            top + 20.0,
            fit(&band.heading, 12.0, CANVAS_W - 60.0 - tag_w),
            band.outline,
            esc(&band.heading)
        );
        let mut y = top + 38.0;
        let lines = band
            .lines
            .iter()
            .map(|l| format!("・{}", l.text))
            .chain(band.note.iter().map(|n| format!("※ {n}")));
        for text in lines {
            let _ = write!(
                self.out,
                r##"<text x="24" y="{y}" font-size="{:.1}" fill="#202124">{}</text>"##,
                fit(&text, 11.0, CANVAS_W - 64.0),
                esc(&text)
            );
            y += 17.0;
        }
        self.y = top + h + 24.0;
    }

    /// A handbook page enlarged across the screen (one tap at the counter), turned upright.
    fn page(&mut self, index: usize, count: usize, image: &[u8], rotation: u16) {
        let label = format!("手帳画像 {} / {count}  Handbook page", index + 1);
        let _ = write!(
            self.out,
            r#"<text x="20" y="{}" font-size="12" fill="{}">{}</text>"#,
            self.y,
            self.screen.text_colour,
            esc(&label)
        );
        let (width, height) = (350.0, 380.0);
        let (left, top) = ((CANVAS_W - width) / 2.0, self.y + 10.0);
        let _ = write!(
            self.out,
            r#"<image x="{left}" y="{top}" width="{width}" height="{height}" transform="rotate({rotation} {} {})" href="data:{};base64,{}"/>"#,
            left + width / 2.0,
            top + height / 2.0,
            mime(image),
            base64(image)
        );
        self.y = top + height + 40.0;
    }

    /// The live clock, the QR countdown, and the character (moving only when linked).
    fn live(&mut self) {
        let sc = self.screen;
        let clock_size = fit(&sc.live.clock, sc.sizes.clock_pt * 0.75, CANVAS_W - 40.0);
        let _ = write!(
            self.out,
            r#"<text x="20" y="{}" font-size="{clock_size:.1}" fill="{}">{}</text>"#,
            self.y,
            sc.text_colour,
            esc(&sc.live.clock)
        );
        let _ = write!(
            self.out,
            r#"<text x="20" y="{}" font-size="12" fill="{}">QR {}s</text>"#,
            self.y + 22.0,
            sc.text_colour,
            sc.live.qr_seconds_left
        );
        let (cx, cy) = (CANVAS_W - 52.0, self.y + 40.0);
        match sc.live.character_frame {
            Some(f) => {
                let bounce = (f64::from(f) / 8.0 * std::f64::consts::TAU).sin() * 6.0;
                let _ = write!(
                    self.out,
                    r#"<g transform="translate(0,{bounce:.1})"><circle cx="{cx}" cy="{cy}" r="26" fill="{a}"/><circle cx="{}" cy="{}" r="4" fill="{b}"/><circle cx="{}" cy="{}" r="4" fill="{b}"/><path d="M{} {} q10 10 20 0" stroke="{b}" stroke-width="3" fill="none"/></g>"#,
                    cx - 9.0,
                    cy - 5.0,
                    cx + 9.0,
                    cy - 5.0,
                    cx - 10.0,
                    cy + 8.0,
                    a = sc.accent,
                    b = sc.background
                );
            }
            None => {
                let _ = write!(
                    self.out,
                    r##"<circle cx="{cx}" cy="{cy}" r="26" fill="#9A9A9A" opacity="0.5"/>"##
                );
            }
        }
    }
}

/// [`Code`], owned.
enum Drawn {
    Qr(QrImage),
    Says(String),
}

impl Drawn {
    fn as_code(&self) -> Code<'_> {
        match self {
            Drawn::Qr(q) => Code::Qr(q),
            Drawn::Says(s) => Code::Says(s),
        }
    }
}

/// Draws the screen on the 390-pt canvas; `height` is in the same units.
pub fn svg(screen: &CounterScreen, photo: Option<&[u8]>, code: Code<'_>, height: f64) -> String {
    let mut c = Canvas::top(screen, height);
    c.support_band();
    c.coupon_band();
    c.photo_and_qr(photo, code);
    c.live();
    c.out.push_str("</svg>\n");
    c.out
}

/// The screen with a handbook page enlarged in place of the photo and QR.
pub fn svg_with_page(screen: &CounterScreen, page: (usize, &[u8], u16), height: f64) -> String {
    let mut c = Canvas::top(screen, height);
    c.page(page.0, screen.page_count, page.1, page.2);
    c.live();
    c.out.push_str("</svg>\n");
    c.out
}

/// The wallet to preview: the data dir's if it has a handbook, else a throw-away one with the
/// first fixture, linked, with credentials from a throw-away development issuer (so the QR is real).
fn sample_wallet(dir: &Path, clock: &Arc<dyn Clock>) -> Result<Wallet, CliError> {
    let keys = techo_core::store::FileKeyProvider::new(Wallet::key_file(dir));
    let wallet = Wallet::open(dir, &keys, clock.clone())?;
    let (file, toml, photo) = crate::demo::FIXTURES[0];
    let draft = HandbookDraft::from_toml(toml).map_err(|why| CliError::HandbookFile {
        path: file.into(),
        why,
    })?;
    let hb = wallet.add(&draft, Some(photo))?;
    wallet.link_for_development(&hb.id, &mut DevIssuer::generate(), 1)?;
    Ok(wallet)
}

pub fn run(
    data_dir: &Path,
    clock: &Arc<dyn Clock>,
    args: &PreviewArgs<'_>,
) -> Result<(), CliError> {
    let tmp = tempfile::tempdir().map_err(|e| CliError::WriteFile {
        path: "temporary directory".into(),
        why: e.to_string(),
    })?;
    let existing = Wallet::open(
        data_dir,
        &techo_core::store::FileKeyProvider::new(Wallet::key_file(data_dir)),
        clock.clone(),
    )
    .ok()
    .filter(|w| w.list().is_ok_and(|l| !l.is_empty()));
    let wallet = match existing {
        Some(w) => w,
        None => sample_wallet(tmp.path(), clock)?,
    };
    // The minimum the last trust list named (`keep-linked`, `places --sync`): the preview shows
    // the "update the app" banner when this build is too old, as the phones do.
    let min_token_version = wallet.min_token_version()?;
    let lang = args.options.lang;
    let (screen, code) = if let Some(id) = args.handbook {
        let hb = wallet.get(&crate::resolve::handbook(&wallet, id)?)?;
        let mut screen = techo_core::screen::build(
            &hb,
            &wallet.list()?,
            min_token_version,
            clock.now(),
            args.options,
        );
        screen.support = techo_core::screen::support::band(&wallet.support_profile()?, lang);
        let code = match wallet.present_code(Some(&hb.id), &ClaimId::COUNTER, None) {
            Ok((_, code)) => Drawn::Qr(code.qr),
            Err(_) if !hb.linkage.is_linked() => {
                Drawn::Says(QrState::NotLinked.message(lang).unwrap_or_default())
            }
            Err(e) => Drawn::Says(lang.part_of(&e.to_string())),
        };
        (screen, code)
    } else {
        // The counter handbook: the frame the phones draw, from the same counter session.
        let mut session = CounterSession::new(args.options, min_token_version);
        session.set_coupon(args.coupon.clone());
        let frame = session
            .frame(&wallet)?
            .ok_or_else(|| CliError::BadArgument("no handbook to preview".into()))?;
        let code = match frame.qr {
            QrState::Code(code) => Drawn::Qr(code.qr),
            other => Drawn::Says(other.message(lang).unwrap_or_default()),
        };
        (frame.screen, code)
    };
    // Bytes stored before the image intake re-encoded pictures are checked again: a header
    // claiming more pixels than a photo may have is left out rather than handed to the renderer.
    let photo = wallet
        .photo(&screen.handbook_id)?
        .filter(|b| image_intake::check_header(b, ImageLimits::PHOTO).is_ok());
    let height = CANVAS_W * f64::from(args.height) / f64::from(args.width);
    let drawing = match args.page {
        None => svg(&screen, photo.as_deref(), code.as_code(), height),
        Some(n) => {
            let hb = wallet.get(&screen.handbook_id)?;
            let bytes = wallet.page(&screen.handbook_id, n)?.ok_or_else(|| {
                CliError::BadArgument(format!(
                    "this handbook has {} page image(s): add one with `techo pages add`",
                    hb.pages.len()
                ))
            })?;
            image_intake::check_header(&bytes, ImageLimits::PAGE).map_err(|e| {
                CliError::BadArgument(format!(
                    "page image {n} {e}: remove it with `techo pages remove` and add it again"
                ))
            })?;
            let rotation = hb.pages.get(n).map_or(0, |p| p.rotation);
            svg_with_page(&screen, (n, &bytes, rotation), height)
        }
    };
    let write_err = |e: String| CliError::WriteFile {
        path: args.out.display().to_string(),
        why: e,
    };
    match args.out.extension().and_then(|e| e.to_str()) {
        Some("svg") => std::fs::write(args.out, drawing).map_err(|e| write_err(e.to_string()))?,
        Some("png") => {
            let mut opt = resvg::usvg::Options::default();
            opt.fontdb_mut().load_font_data(FONT.to_vec());
            let tree = resvg::usvg::Tree::from_str(&drawing, &opt)
                .map_err(|e| write_err(e.to_string()))?;
            let mut pixmap = resvg::tiny_skia::Pixmap::new(args.width, args.height)
                .ok_or_else(|| write_err("bad size".into()))?;
            let scale = f32::from(u16::try_from(args.width).unwrap_or(u16::MAX)) / 390.0;
            resvg::render(
                &tree,
                resvg::tiny_skia::Transform::from_scale(scale, scale),
                &mut pixmap.as_mut(),
            );
            pixmap
                .save_png(args.out)
                .map_err(|e| write_err(e.to_string()))?;
        }
        _ => return Err(CliError::BadArgument("use a .png or .svg file name".into())),
    }
    out!("{} ({}×{})", args.out.display(), args.width, args.height);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use techo_core::model::{HandbookId, LinkageState};

    const NOT_LINKED: Code<'static> = Code::Says("QR: 連携後に表示 / after linkage");

    fn screen(prefix: usize, linked: bool) -> CounterScreen {
        let (_, toml, _) = crate::demo::FIXTURES[prefix];
        let now = chrono::DateTime::parse_from_rfc3339("2026-11-25T13:30:05Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        let mut hb = HandbookDraft::from_toml(toml)
            .unwrap()
            .validate(None, now)
            .unwrap();
        hb.id = HandbookId::from_string("hb".into());
        if linked {
            hb.linkage = LinkageState::Linked {
                consent_until: None,
                since: now,
                session: String::new(),
                valid_until: None,
            };
        }
        techo_core::screen::build(&hb, &[], 1, now, Options::default())
    }

    #[test]
    fn svg_snapshots() {
        insta::assert_snapshot!(
            "physical-linked",
            svg(&screen(0, true), None, NOT_LINKED, 844.0)
        );
        insta::assert_snapshot!(
            "mental-expired-unlinked",
            svg(&screen(3, false), None, NOT_LINKED, 844.0)
        );
    }

    #[test]
    fn the_support_band_and_an_enlarged_page() {
        let profile = techo_core::model::SupportProfile::from_toml(include_str!(
            "../../fixtures/profiles/powered-chair.toml"
        ))
        .unwrap();
        let mut sc = screen(0, true);
        sc.support = techo_core::screen::support::band(&profile, techo_core::Lang::Ja);
        let drawn = svg(&sc, None, NOT_LINKED, 844.0);
        assert!(drawn.contains("本人申告") && drawn.contains("stroke-dasharray"));
        insta::assert_snapshot!("physical-linked-support", drawn);
        sc.page_count = 2;
        let page = techo_core::model::photo::tiny_png(8, 10);
        let drawn = svg_with_page(&sc, (1, &page, 90), 844.0);
        assert!(drawn.contains("手帳画像 2 / 2") && drawn.contains("rotate(90"));
        assert!(drawn.contains("data:image/png;base64,"));
    }

    #[test]
    fn the_guardian_band_is_drawn_in_words_at_the_top() {
        let mut sc = screen(5, true);
        sc.guardian = Some(techo_core::screen::GuardianBand {
            text: "保護者が提示（親：中村 真理）".into(),
            spoken: String::new(),
            background: "#4A148C".into(),
            text_colour: "#FFFFFF".into(),
        });
        let drawn = svg(&sc, None, NOT_LINKED, 844.0);
        let band = drawn.find("保護者が提示（親：中村 真理）").unwrap();
        let first_item = drawn.find("療育手帳").unwrap();
        assert!(band < first_item, "the band comes before the handbook kind");
    }

    #[test]
    fn the_coupon_band_comes_between_the_items_and_the_code() {
        let mut sc = screen(0, true);
        sc.coupon = Some("クーポン：特別展 無料 ／ 例示美術館".into());
        let payload = techo_core::token::Payload { body: vec![7; 120] };
        let qr = QrImage::for_payload(&payload).unwrap();
        let drawn = svg(&sc, None, Code::Qr(&qr), 844.0);
        let band = drawn.find("クーポン：特別展 無料 ／ 例示美術館").unwrap();
        assert!(drawn.find("身体障害者手帳").unwrap() < band);
        assert!(
            band < drawn.find("fill=\"#000000\"").unwrap(),
            "the band is above the code"
        );
        assert!(!svg(&screen(0, true), None, Code::Qr(&qr), 844.0).contains("クーポン"));
    }

    #[test]
    fn what_the_phone_says_instead_of_a_code_is_wrapped_inside_the_code_box() {
        let says =
            "The credentials expired on 2026-11-30: renew them online, or link again with the card";
        let drawn = svg(&screen(0, true), None, Code::Says(says), 844.0);
        let lines: Vec<_> = drawn.matches(r##"fill="#555555">"##).collect();
        assert!(lines.len() >= 3, "{drawn}");
        for line in wrap(says, 14.0, 192.0) {
            assert!(
                line.chars()
                    .map(|c| if c.is_ascii() { 0.56 } else { 1.0 })
                    .sum::<f64>()
                    * 14.0
                    <= 192.0
                    || !line.contains(' ')
            );
            assert!(drawn.contains(&esc(&line)));
        }
        assert_eq!(
            wrap("連携すると確認用のコードが表示されます", 14.0, 192.0).concat(),
            "連携すると確認用のコードが表示されます"
        );
        assert_eq!(
            wrap("連携すると確認用のコードが表示されます", 14.0, 192.0).len(),
            2
        );
    }

    #[test]
    fn base64_matches_rfc4648() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }
}
