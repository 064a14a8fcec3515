//! A small page-layout engine: pages are display lists (text, rectangles, lines) laid out top
//! down, with text wrapped by the embedded fonts' real glyph widths and tables that break
//! across pages, repeating their header row. Turning the display lists into PDF operations is
//! `pdf.rs`'s job, so this part has no printpdf types.

use super::fonts::{Face, FontSet};

/// A4 portrait, in points.
pub(crate) const PAGE_W: f32 = 595.28;
pub(crate) const PAGE_H: f32 = 841.89;
/// Left and right margin.
pub(crate) const MARGIN: f32 = 56.0;
/// Where body content starts and ends (from the top); header and footer live outside.
pub(crate) const BODY_TOP: f32 = 84.0;
pub(crate) const BODY_BOTTOM: f32 = PAGE_H - 64.0;
pub(crate) const BODY_W: f32 = PAGE_W - 2.0 * MARGIN;

/// A colour (0..1 per channel).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Rgb(pub f32, pub f32, pub f32);

pub(crate) const INK: Rgb = Rgb(0.12, 0.13, 0.16);
pub(crate) const NAVY: Rgb = Rgb(0.11, 0.19, 0.33);
pub(crate) const MUTED: Rgb = Rgb(0.40, 0.43, 0.48);
pub(crate) const RULE: Rgb = Rgb(0.80, 0.83, 0.87);
pub(crate) const HEADER_FILL: Rgb = Rgb(0.91, 0.93, 0.96);
pub(crate) const ZEBRA: Rgb = Rgb(0.972, 0.977, 0.985);
pub(crate) const WHITE: Rgb = Rgb(1.0, 1.0, 1.0);
pub(crate) const RED: Rgb = Rgb(0.70, 0.12, 0.12);
pub(crate) const ORANGE: Rgb = Rgb(0.80, 0.38, 0.02);
pub(crate) const AMBER: Rgb = Rgb(0.66, 0.50, 0.0);
pub(crate) const GREEN: Rgb = Rgb(0.09, 0.46, 0.24);
pub(crate) const BLUE: Rgb = Rgb(0.16, 0.36, 0.62);

/// One thing drawn on a page. `y` is measured from the top of the page.
#[derive(Debug, Clone)]
pub(crate) enum Item {
    /// Text on one line; `y` is the baseline.
    Text { x: f32, y: f32, size: f32, style: Face, color: Rgb, text: String },
    /// A rectangle; `y` is its top edge.
    Rect { x: f32, y: f32, w: f32, h: f32, fill: Option<Rgb>, stroke: Option<(Rgb, f32)> },
    /// A straight line.
    Line { x1: f32, y1: f32, x2: f32, y2: f32, color: Rgb, width: f32, dashed: bool },
    /// A filled polygon (arrow heads).
    Poly { points: Vec<(f32, f32)>, fill: Rgb },
}

/// Horizontal alignment in a table cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Align {
    Left,
    Right,
}

/// A table column.
#[derive(Debug, Clone)]
pub(crate) struct Col {
    pub title: &'static str,
    /// Share of the table width.
    pub share: f32,
    pub style: Face,
    pub align: Align,
}

impl Col {
    pub(crate) fn new(title: &'static str, share: f32) -> Col {
        Col { title, share, style: Face::Regular, align: Align::Left }
    }

    pub(crate) fn right(mut self) -> Col {
        self.align = Align::Right;
        self
    }
}

/// A table cell: text, optionally in another style or colour than its column.
#[derive(Debug, Clone)]
pub(crate) struct Cell {
    pub text: String,
    pub style: Option<Face>,
    pub color: Option<Rgb>,
}

impl<T: Into<String>> From<T> for Cell {
    fn from(t: T) -> Cell {
        Cell { text: t.into(), style: None, color: None }
    }
}

impl Cell {
    /// Bold and coloured (verdicts, severities).
    pub(crate) fn strong(text: impl Into<String>, color: Rgb) -> Cell {
        Cell { text: text.into(), style: Some(Face::Bold), color: Some(color) }
    }

    /// Muted colour.
    pub(crate) fn muted(text: impl Into<String>) -> Cell {
        Cell { text: text.into(), style: None, color: Some(MUTED) }
    }
}

/// A line spanning the whole row below its cells ("SHA-256 ...").
#[derive(Debug, Clone)]
pub(crate) struct Detail {
    pub label: String,
    pub value: String,
    pub style: Face,
}

/// A table row.
#[derive(Debug, Clone)]
pub(crate) struct Row {
    pub cells: Vec<Cell>,
    pub details: Vec<Detail>,
}

impl Row {
    pub(crate) fn new(cells: Vec<Cell>) -> Row {
        Row { cells, details: Vec::new() }
    }

    pub(crate) fn detail(mut self, label: impl Into<String>, value: impl Into<String>, style: Face) -> Row {
        self.details.push(Detail { label: label.into(), value: value.into(), style });
        self
    }
}

/// Whether a line may break before `c` regardless of spaces (CJK text has none).
fn is_cjk(c: char) -> bool {
    matches!(u32::from(c), 0x2E80..=0x9FFF | 0xAC00..=0xD7AF | 0xF900..=0xFAFF | 0xFF00..=0xFFEF | 0x20000..=0x2FFFF)
}

/// Wraps `text` into lines no wider than `width` points. Breaks at spaces, after `-` and `/`,
/// and between CJK characters; a word longer than the line is cut between characters. `\n`
/// starts a new line. Never returns an empty list.
pub(crate) fn wrap(f: &FontSet, text: &str, style: Face, size: f32, width: f32) -> Vec<String> {
    let mut lines = Vec::new();
    for para in text.split('\n') {
        let chars: Vec<char> = para.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
        let adv: Vec<f32> = chars.iter().map(|&c| f.advance(style, c) * size).collect();
        let n = chars.len();
        let mut start = 0;
        if n == 0 {
            lines.push(String::new());
            continue;
        }
        while start < n {
            let mut w = 0.0;
            let mut brk: Option<usize> = None;
            let mut i = start;
            let mut end = n;
            while i < n {
                let c = chars[i];
                if i > start {
                    let p = chars[i - 1];
                    if p == ' ' || p == '-' || p == '/' || is_cjk(c) || is_cjk(p) {
                        brk = Some(i);
                    }
                }
                if c != ' ' && i > start && w + adv[i] > width {
                    end = brk.unwrap_or(i);
                    break;
                }
                w += adv[i];
                i += 1;
            }
            let line: String = chars[start..end].iter().collect();
            lines.push(line.trim_end().to_string());
            start = end;
            while start < n && chars[start] == ' ' {
                start += 1;
            }
        }
    }
    if lines.is_empty() {
        lines.push(String::new());
    }
    lines
}

/// Shortens `text` with an ellipsis so it fits `width`.
pub(crate) fn fit(f: &FontSet, text: &str, style: Face, size: f32, width: f32) -> String {
    if f.width(style, size, text) <= width {
        return text.to_string();
    }
    let budget = width - f.width(style, size, "…");
    let mut w = 0.0;
    let mut out = String::new();
    for c in text.chars() {
        w += f.advance(style, c) * size;
        if w > budget {
            break;
        }
        out.push(c);
    }
    out.trim_end().to_string() + "…"
}

/// Pages being laid out, and the cursor on the last one.
pub(crate) struct Layout<'f> {
    pub f: &'f FontSet,
    pub pages: Vec<Vec<Item>>,
    /// Cursor: top of the next thing on the current page.
    pub y: f32,
}

impl<'f> Layout<'f> {
    pub(crate) fn new(f: &'f FontSet) -> Layout<'f> {
        Layout { f, pages: Vec::new(), y: BODY_TOP }
    }

    /// Starts a new page.
    pub(crate) fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = BODY_TOP;
    }

    /// Index of the current page.
    pub(crate) fn page_index(&self) -> usize {
        self.pages.len().saturating_sub(1)
    }

    fn items(&mut self) -> &mut Vec<Item> {
        if self.pages.is_empty() {
            self.new_page();
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    pub(crate) fn push(&mut self, item: Item) {
        self.items().push(item);
    }

    /// Starts a new page unless `h` points still fit on this one (or it is still empty).
    pub(crate) fn ensure(&mut self, h: f32) {
        if self.y + h > BODY_BOTTOM && self.y > BODY_TOP + 0.5 {
            self.new_page();
        }
    }

    pub(crate) fn text(
        &mut self,
        x: f32,
        y: f32,
        size: f32,
        style: Face,
        color: Rgb,
        text: impl Into<String>,
    ) {
        let mut text = text.into();
        if text.chars().any(char::is_control) {
            // Tabs and line breaks in recorded names would print as missing-glyph boxes.
            text = text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
        }
        if !text.is_empty() {
            self.push(Item::Text { x, y, size, style, color, text });
        }
    }

    /// Text whose right edge is at `x`.
    pub(crate) fn text_right(&mut self, x: f32, y: f32, size: f32, style: Face, color: Rgb, text: &str) {
        let w = self.f.width(style, size, text);
        self.text(x - w, y, size, style, color, text);
    }

    pub(crate) fn rect(
        &mut self,
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        fill: Option<Rgb>,
        stroke: Option<(Rgb, f32)>,
    ) {
        self.push(Item::Rect { x, y, w, h, fill, stroke });
    }

    pub(crate) fn hline(&mut self, x1: f32, x2: f32, y: f32, color: Rgb, width: f32) {
        self.push(Item::Line { x1, y1: y, x2, y2: y, color, width, dashed: false });
    }

    pub(crate) fn gap(&mut self, h: f32) {
        self.y += h;
    }

    /// A wrapped paragraph across the body width (or from `indent`), breaking across pages.
    pub(crate) fn paragraph(&mut self, text: &str, style: Face, size: f32, color: Rgb) {
        self.paragraph_at(MARGIN, BODY_W, text, style, size, color);
    }

    pub(crate) fn paragraph_at(
        &mut self,
        x: f32,
        width: f32,
        text: &str,
        style: Face,
        size: f32,
        color: Rgb,
    ) {
        let lead = size * 1.45;
        for line in wrap(self.f, text, style, size, width) {
            self.ensure(lead);
            let base = self.y + size;
            self.text(x, base, size, style, color, line);
            self.y += lead;
        }
    }

    /// Label / value pairs in two columns (values wrap; a value may ask for its own style).
    pub(crate) fn key_values(&mut self, label_w: f32, size: f32, rows: &[(&str, String, Face)]) {
        let lead = size * 1.5;
        for (label, value, style) in rows {
            let lines = wrap(self.f, value, *style, size, BODY_W - label_w);
            self.ensure(lead * lines.len() as f32);
            self.text(MARGIN, self.y + size, size, Face::Bold, MUTED, *label);
            for line in lines {
                self.ensure(lead);
                self.text(MARGIN + label_w, self.y + size, size, *style, INK, line);
                self.y += lead;
            }
        }
    }

    /// A table at the cursor: rows break across pages (a row taller than a page is split), and
    /// the header row is repeated, with `caption (continued)` above it, on every page it spans.
    pub(crate) fn table(&mut self, caption: &str, cols: &[Col], rows: &[Row]) {
        const SIZE: f32 = 7.5;
        const PAD_X: f32 = 4.0;
        const PAD_Y: f32 = 3.6;
        let lead = SIZE * 1.36;
        let widths: Vec<f32> = {
            let total: f32 = cols.iter().map(|c| c.share).sum::<f32>().max(f32::EPSILON);
            cols.iter().map(|c| c.share / total * BODY_W).collect()
        };
        let xs: Vec<f32> = widths
            .iter()
            .scan(MARGIN, |x, w| {
                let here = *x;
                *x += w;
                Some(here)
            })
            .collect();
        let header_lines: Vec<Vec<String>> = cols
            .iter()
            .zip(&widths)
            .map(|(c, w)| wrap(self.f, c.title, Face::Bold, SIZE, w - 2.0 * PAD_X))
            .collect();
        let header_slots = header_lines.iter().map(Vec::len).max().unwrap_or(1);
        let header_h = header_slots as f32 * lead + 2.0 * PAD_Y;

        let draw_header = |l: &mut Layout<'_>, continued: bool| {
            if continued {
                l.text(MARGIN, l.y + 7.0, 7.0, Face::Regular, MUTED, format!("{caption} (continued)"));
                l.y += 11.0;
            }
            l.rect(MARGIN, l.y, BODY_W, header_h, Some(HEADER_FILL), None);
            for (ci, lines) in header_lines.iter().enumerate() {
                for (li, line) in lines.iter().enumerate() {
                    let base = l.y + PAD_Y + li as f32 * lead + SIZE * 1.02;
                    if cols[ci].align == Align::Right {
                        l.text_right(xs[ci] + widths[ci] - PAD_X, base, SIZE, Face::Bold, NAVY, line);
                    } else {
                        l.text(xs[ci] + PAD_X, base, SIZE, Face::Bold, NAVY, line.clone());
                    }
                }
            }
            l.y += header_h;
            l.hline(MARGIN, MARGIN + BODY_W, l.y, NAVY, 0.7);
        };

        self.ensure(header_h + lead + 2.0 * PAD_Y + 4.0);
        draw_header(self, false);

        for (ri, row) in rows.iter().enumerate() {
            // Wrap every cell, then the detail lines across the full width.
            let cells: Vec<(Vec<String>, Face, Rgb, Align, f32, f32)> = cols
                .iter()
                .enumerate()
                .map(|(ci, col)| {
                    let cell = row.cells.get(ci);
                    let style = cell.and_then(|c| c.style).unwrap_or(col.style);
                    let color = cell.and_then(|c| c.color).unwrap_or(INK);
                    let text = cell.map(|c| c.text.as_str()).unwrap_or("");
                    let lines = wrap(self.f, text, style, SIZE, widths[ci] - 2.0 * PAD_X);
                    (lines, style, color, col.align, xs[ci], widths[ci])
                })
                .collect();
            let mut details: Vec<(String, String, Face, f32)> = Vec::new();
            for d in &row.details {
                let label_w = self.f.width(Face::Regular, SIZE - 0.5, &d.label) + 4.0;
                let value_w = BODY_W - 2.0 * PAD_X - label_w;
                for (i, line) in wrap(self.f, &d.value, d.style, SIZE - 0.5, value_w).into_iter().enumerate()
                {
                    let label = if i == 0 { d.label.clone() } else { String::new() };
                    details.push((label, line, d.style, label_w));
                }
            }
            let cell_slots = cells.iter().map(|c| c.0.len()).max().unwrap_or(1);
            let slots = cell_slots + details.len();
            let full_page = BODY_BOTTOM - BODY_TOP - header_h - 11.0 - 2.0 * PAD_Y;
            let mut s = 0;
            while s < slots {
                let fit = ((BODY_BOTTOM - self.y - 2.0 * PAD_Y) / lead).floor().max(0.0) as usize;
                let left = slots - s;
                let fits_fresh = (left as f32) * lead <= full_page;
                if fit < left && (fit == 0 || (s == 0 && fits_fresh)) {
                    self.new_page();
                    draw_header(self, true);
                    continue;
                }
                let take = left.min(fit);
                let h = take as f32 * lead + 2.0 * PAD_Y;
                if ri % 2 == 1 {
                    self.rect(MARGIN, self.y, BODY_W, h, Some(ZEBRA), None);
                }
                for slot in s..s + take {
                    let base = self.y + PAD_Y + (slot - s) as f32 * lead + SIZE * 1.02;
                    if slot < cell_slots {
                        for (lines, style, color, align, x, w) in &cells {
                            if let Some(line) = lines.get(slot) {
                                if *align == Align::Right {
                                    self.text_right(x + w - PAD_X, base, SIZE, *style, *color, line);
                                } else {
                                    self.text(x + PAD_X, base, SIZE, *style, *color, line.clone());
                                }
                            }
                        }
                    } else if let Some((label, value, style, label_w)) = details.get(slot - cell_slots) {
                        let x = MARGIN + PAD_X;
                        self.text(x, base, SIZE - 0.5, Face::Regular, MUTED, label.clone());
                        self.text(x + label_w, base, SIZE - 0.5, *style, MUTED, value.clone());
                    }
                }
                self.y += h;
                self.hline(MARGIN, MARGIN + BODY_W, self.y, RULE, 0.4);
                s += take;
            }
        }
        self.y += 6.0;
    }
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "tests fail loudly")]
mod tests {
    use super::*;
    use crate::packet::fonts::fonts;

    #[test]
    fn wrapping_breaks_at_spaces_and_between_cjk_and_cuts_long_words() {
        let f = fonts().unwrap();
        let lines = wrap(f, "alpha beta gamma delta", Face::Regular, 10.0, 60.0);
        assert!(lines.len() >= 2, "{lines:?}");
        assert!(lines.iter().all(|l| f.width(Face::Regular, 10.0, l) <= 60.0), "{lines:?}");
        assert_eq!(lines.join(" "), "alpha beta gamma delta");

        let cjk = wrap(f, "東京医科大学附属病院東京医科大学附属病院", Face::Regular, 10.0, 50.0);
        assert!(cjk.len() >= 3, "{cjk:?}");
        assert_eq!(cjk.concat(), "東京医科大学附属病院東京医科大学附属病院");

        let hash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        let cut = wrap(f, hash, Face::Mono, 7.0, 100.0);
        assert!(cut.len() > 1);
        assert_eq!(cut.concat(), hash);
        assert_eq!(wrap(f, "", Face::Regular, 10.0, 50.0), vec![String::new()]);
    }
}
