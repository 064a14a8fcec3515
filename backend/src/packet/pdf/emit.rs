//! The laid-out pages as PDF: display-list items to printpdf operations, fonts and outline.

use super::*;

// ---------------------------------------------------------------------------------------------
// Display lists to PDF

fn color(c: Rgb) -> Color {
    Color::Rgb(printpdf::Rgb { r: c.0, g: c.1, b: c.2, icc_profile: None })
}

fn pt(x: f32, y_from_top: f32) -> Point {
    Point { x: Pt(x), y: Pt(PAGE_H - y_from_top) }
}

fn font_id(face: Face) -> FontId {
    FontId(face.resource_name().to_string())
}

/// Graphics state already set on a page, so each operator is written only when it changes
/// (a 400-page packet has some 60,000 text items; repeating colour and font for each doubles
/// the content streams and the time to write them).
#[derive(Default)]
struct State {
    in_text: bool,
    fill: Option<Rgb>,
    stroke: Option<(Rgb, f32)>,
    font: Option<(Face, f32)>,
}

impl State {
    fn fill(&mut self, ops: &mut Vec<Op>, c: Rgb) {
        if self.fill != Some(c) {
            ops.push(Op::SetFillColor { col: color(c) });
            self.fill = Some(c);
        }
    }

    fn stroke(&mut self, ops: &mut Vec<Op>, c: Rgb, width: f32) {
        if self.stroke != Some((c, width)) {
            ops.push(Op::SetOutlineColor { col: color(c) });
            ops.push(Op::SetOutlineThickness { pt: Pt(width) });
            self.stroke = Some((c, width));
        }
    }

    fn text(&mut self, ops: &mut Vec<Op>, on: bool) {
        if on != self.in_text {
            ops.push(if on { Op::StartTextSection } else { Op::EndTextSection });
            self.in_text = on;
        }
    }
}

/// One page's display list as PDF operations: runs of text share one text object.
fn page_ops(f: &FontSet, page: Vec<Item>) -> Vec<Op> {
    let mut ops: Vec<Op> = Vec::with_capacity(page.len() * 3);
    let mut st = State::default();
    for item in page {
        match item {
            Item::Text { x, y, size, style, color: c, text } => {
                st.text(&mut ops, true);
                st.fill(&mut ops, c);
                for (face, run, dx) in f.runs(style, &text) {
                    if st.font != Some((face, size)) {
                        ops.push(Op::SetFont {
                            font: PdfFontHandle::External(font_id(face)),
                            size: Pt(size),
                        });
                        st.font = Some((face, size));
                    }
                    ops.push(Op::SetTextMatrix {
                        matrix: TextMatrix::Translate(Pt(x + dx * size), Pt(PAGE_H - y)),
                    });
                    ops.push(Op::ShowText { items: vec![TextItem::Text(run.to_string())] });
                }
            }
            Item::Rect { x, y, w, h, fill, stroke } => {
                let mode = match (fill, stroke) {
                    (Some(_), Some(_)) => PaintMode::FillStroke,
                    (Some(_), None) => PaintMode::Fill,
                    (None, Some(_)) => PaintMode::Stroke,
                    (None, None) => continue,
                };
                st.text(&mut ops, false);
                if let Some(c) = fill {
                    st.fill(&mut ops, c);
                }
                if let Some((c, width)) = stroke {
                    st.stroke(&mut ops, c, width);
                }
                ops.push(Op::DrawRectangle {
                    rectangle: Rect {
                        x: Pt(x),
                        y: Pt(PAGE_H - y - h),
                        width: Pt(w),
                        height: Pt(h),
                        mode: Some(mode),
                        winding_order: Some(WindingOrder::NonZero),
                    },
                });
            }
            Item::Line { x1, y1, x2, y2, color: c, width, dashed } => {
                st.text(&mut ops, false);
                // Colour and width outside the saved state, so restoring it only undoes the dash.
                st.stroke(&mut ops, c, width);
                if dashed {
                    ops.push(Op::SaveGraphicsState);
                    ops.push(Op::SetLineDashPattern {
                        dash: printpdf::LineDashPattern::new(0.0, &[2.5, 2.0]),
                    });
                }
                ops.push(Op::DrawLine {
                    line: Line {
                        points: vec![
                            LinePoint { p: pt(x1, y1), bezier: false },
                            LinePoint { p: pt(x2, y2), bezier: false },
                        ],
                        is_closed: false,
                    },
                });
                if dashed {
                    ops.push(Op::RestoreGraphicsState);
                }
            }
            Item::Poly { points, fill } => {
                st.text(&mut ops, false);
                st.fill(&mut ops, fill);
                ops.push(Op::DrawPolygon {
                    polygon: Polygon {
                        rings: vec![PolygonRing {
                            points: points
                                .iter()
                                .map(|&(x, y)| LinePoint { p: pt(x, y), bezier: false })
                                .collect(),
                        }],
                        mode: PaintMode::Fill,
                        winding_order: WindingOrder::NonZero,
                    },
                });
            }
        }
    }
    st.text(&mut ops, false);
    ops
}

pub(super) fn emit(
    pages: Vec<Vec<Item>>,
    f: &FontSet,
    data: &PacketData,
    toc: &[(String, usize)],
) -> Result<Vec<u8>, anyhow::Error> {
    // Which characters each face draws, to embed only those glyphs.
    let mut used: HashMap<Face, BTreeSet<char>> = HashMap::new();
    for page in &pages {
        for item in page {
            if let Item::Text { style, text, .. } = item {
                for (face, run, _) in f.runs(*style, text) {
                    used.entry(face).or_default().extend(run.chars());
                }
            }
        }
    }

    let title = format!("Evidence packet: {} as of {}", data.workspace_name, data.as_of);
    let mut doc = PdfDocument::new(&title);
    {
        let info = &mut doc.metadata.info;
        info.author = data.generated_by.name.clone();
        info.creator = "BAA Tracker".to_string();
        info.producer = "BAA Tracker (printpdf)".to_string();
        info.subject = "HIPAA business associate agreements: evidence packet".to_string();
        info.identifier = data.packet_id.clone();
        if let Ok(t) = printpdf::OffsetDateTime::from_unix_timestamp(data.generated_at.timestamp()) {
            info.creation_date = t;
            info.modification_date = t;
            info.metadata_date = t;
        }
    }
    for face in Face::ALL {
        if let Some(chars) = used.get(&face) {
            let font = f.subset(face, chars)?;
            doc.resources.fonts.map.insert(font_id(face), PdfFont::new(font));
        }
    }

    let out_pages: Vec<PdfPage> =
        pages.into_iter().map(|page| PdfPage::new(Mm(210.0), Mm(297.0), page_ops(f, page))).collect();
    doc.add_bookmark("Cover", 1);
    for (title, page) in toc {
        doc.add_bookmark(title, page + 1);
    }
    let mut warnings = Vec::new();
    let bytes = doc.with_pages(out_pages).save(&PdfSaveOptions::default(), &mut warnings);
    if !warnings.is_empty() {
        tracing::debug!(count = warnings.len(), "printpdf warnings while writing an evidence packet");
    }
    Ok(bytes)
}
