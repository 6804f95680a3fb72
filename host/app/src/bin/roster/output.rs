//! Tabular output in the three formats data commands offer: an aligned
//! table for people, JSON and CSV for programs.

use clap::ValueEnum;
use std::io::{IsTerminal, Write};
use std::ops::ControlFlow;

/// How a data command prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned columns (the default on a terminal).
    Table,
    /// A JSON array of objects (the default otherwise).
    Json,
    /// Comma-separated values with a header row.
    Csv,
}

impl Format {
    /// The format asked for, else a table on a terminal and JSON otherwise.
    pub fn or_default(asked: Option<Format>) -> Format {
        asked.unwrap_or_else(|| {
            if std::io::stdout().is_terminal() {
                Format::Table
            } else {
                Format::Json
            }
        })
    }
}

/// One cell: text, or a number / flag / nothing that JSON keeps typed.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Text.
    Text(String),
    /// A whole number.
    Int(i64),
    /// A number with a fraction, shown with `decimals` places.
    Float(f64, usize),
    /// A flag.
    Bool(bool),
    /// Nothing known.
    Empty,
}

impl Cell {
    fn text(&self) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Int(n) => n.to_string(),
            Cell::Float(f, d) => format!("{f:.d$}", d = *d),
            Cell::Bool(b) => if *b { "yes" } else { "no" }.into(),
            Cell::Empty => String::new(),
        }
    }
}

impl From<&str> for Cell {
    fn from(s: &str) -> Self {
        Cell::Text(s.to_owned())
    }
}

impl From<String> for Cell {
    fn from(s: String) -> Self {
        Cell::Text(s)
    }
}

impl<T: Into<Cell>> From<Option<T>> for Cell {
    fn from(v: Option<T>) -> Self {
        v.map_or(Cell::Empty, Into::into)
    }
}

impl From<u32> for Cell {
    fn from(n: u32) -> Self {
        Cell::Int(i64::from(n))
    }
}

impl From<u64> for Cell {
    fn from(n: u64) -> Self {
        Cell::Int(i64::try_from(n).unwrap_or(i64::MAX))
    }
}

impl From<bool> for Cell {
    fn from(b: bool) -> Self {
        Cell::Bool(b)
    }
}

/// Standard output, buffered: rows are written many at a time, not line
/// by line. Flush it when done.
pub fn stdout() -> std::io::BufWriter<std::io::StdoutLock<'static>> {
    std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock())
}

/// Rows under named columns, kept until printed: for reports short enough
/// to hold.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    columns: Vec<&'static str>,
    rows: Vec<Vec<Cell>>,
}

impl Table {
    /// An empty table with these columns (snake_case: they are JSON keys
    /// and CSV headers too).
    pub fn new(columns: &[&'static str]) -> Table {
        Table {
            columns: columns.to_vec(),
            rows: Vec::new(),
        }
    }

    /// Adds a row (one cell per column).
    pub fn row(&mut self, cells: Vec<Cell>) {
        debug_assert_eq!(cells.len(), self.columns.len());
        self.rows.push(cells);
    }

    /// Whether it has no rows.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Prints in `format` to standard output.
    pub fn print(self, format: Format) -> std::io::Result<()> {
        let mut out = stdout();
        self.write(format, &mut out)?;
        out.flush()
    }

    /// Writes in `format`, every row laid out together.
    pub fn write(self, format: Format, out: &mut dyn Write) -> std::io::Result<()> {
        let mut writer = RowWriter::new(&self.columns, format, out, usize::MAX);
        for row in self.rows {
            writer.row(row)?;
        }
        writer.finish()
    }
}

/// Rows under named columns written as they come: JSON and CSV row by row,
/// a table laid out from its first rows (later, longer cells push their
/// line out rather than the whole table being held).
pub struct RowWriter<'a> {
    columns: Vec<&'static str>,
    format: Format,
    out: &'a mut dyn Write,
    /// Table rows held until the layout is known.
    held: Vec<Vec<Cell>>,
    /// How many table rows decide the layout.
    layout_rows: usize,
    layout: Option<Layout>,
    written: usize,
    /// The first write that failed through [`RowWriter::offer`].
    failed: Option<std::io::Error>,
    /// The JSON line being put together.
    line: Vec<u8>,
}

/// Column widths and alignment of a table.
struct Layout {
    widths: Vec<usize>,
    numeric: Vec<bool>,
}

/// Table rows that decide the column widths of a streamed table.
pub const STREAMED_LAYOUT_ROWS: usize = 1000;

impl<'a> RowWriter<'a> {
    /// A writer of rows under `columns` in `format`; a table is laid out
    /// from its first `layout_rows` rows.
    pub fn new(
        columns: &[&'static str],
        format: Format,
        out: &'a mut dyn Write,
        layout_rows: usize,
    ) -> Self {
        RowWriter {
            columns: columns.to_vec(),
            format,
            out,
            held: Vec::new(),
            layout_rows,
            layout: None,
            written: 0,
            failed: None,
            line: Vec::new(),
        }
    }

    /// Writes a row handed over by a stream of them (a store's callback):
    /// asks for no more once a write fails, and [`finish`](Self::finish)
    /// reports the failure.
    pub fn offer(&mut self, cells: Vec<Cell>) -> ControlFlow<()> {
        match self.row(cells) {
            Ok(()) => ControlFlow::Continue(()),
            Err(e) => {
                self.failed = Some(e);
                ControlFlow::Break(())
            }
        }
    }

    /// Writes (or, for a table still being laid out, holds) a row.
    pub fn row(&mut self, cells: Vec<Cell>) -> std::io::Result<()> {
        debug_assert_eq!(cells.len(), self.columns.len());
        match self.format {
            Format::Json => {
                // One object per line, put together before one write.
                let line = &mut self.line;
                line.clear();
                line.extend_from_slice(if self.written == 0 { b"[\n{" } else { b",\n{" });
                for (i, (column, cell)) in self.columns.iter().zip(&cells).enumerate() {
                    if i > 0 {
                        line.push(b',');
                    }
                    serde_json::to_writer(&mut *line, column)?;
                    line.push(b':');
                    match cell {
                        Cell::Text(s) => serde_json::to_writer(&mut *line, s)?,
                        Cell::Int(n) => write!(line, "{n}")?,
                        Cell::Float(f, _) => serde_json::to_writer(&mut *line, f)?,
                        Cell::Bool(b) => {
                            line.extend_from_slice(if *b { b"true" } else { b"false" })
                        }
                        Cell::Empty => line.extend_from_slice(b"null"),
                    }
                }
                line.push(b'}');
                self.out.write_all(line)?;
            }
            Format::Csv => {
                if self.written == 0 {
                    writeln!(self.out, "{}", self.columns.join(","))?;
                }
                let line: Vec<String> = cells.iter().map(|c| csv_field(&c.text())).collect();
                writeln!(self.out, "{}", line.join(","))?;
            }
            Format::Table => {
                if self.layout.is_none() {
                    self.held.push(cells);
                    if self.held.len() >= self.layout_rows {
                        self.lay_out()?;
                    }
                    return Ok(());
                }
                self.table_line(&cells)?;
            }
        }
        self.written += 1;
        Ok(())
    }

    /// Writes what is held and the end, or reports the write that failed.
    pub fn finish(mut self) -> std::io::Result<()> {
        if let Some(e) = self.failed.take() {
            return Err(e);
        }
        match self.format {
            Format::Json if self.written == 0 => writeln!(self.out, "[]"),
            Format::Json => writeln!(self.out, "\n]"),
            Format::Csv if self.written == 0 => writeln!(self.out, "{}", self.columns.join(",")),
            Format::Csv => Ok(()),
            Format::Table => {
                if self.layout.is_none() {
                    self.lay_out()?;
                }
                Ok(())
            }
        }
    }

    /// Fixes the layout from the held rows, and writes the header and them.
    fn lay_out(&mut self) -> std::io::Result<()> {
        let held = std::mem::take(&mut self.held);
        let widths = self
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| {
                held.iter()
                    .map(|r| r[i].text().chars().count())
                    .chain([c.len()])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let numeric = (0..self.columns.len())
            .map(|i| {
                held.iter()
                    .all(|r| matches!(r[i], Cell::Int(_) | Cell::Float(..) | Cell::Empty))
            })
            .collect();
        self.layout = Some(Layout { widths, numeric });
        let header: Vec<Cell> = self
            .columns
            .iter()
            .map(|c| Cell::Text(c.replace('_', " ")))
            .collect();
        self.table_line(&header)?;
        for row in held {
            self.table_line(&row)?;
            self.written += 1;
        }
        Ok(())
    }

    fn table_line(&mut self, cells: &[Cell]) -> std::io::Result<()> {
        let Some(layout) = &self.layout else {
            return Ok(());
        };
        let text = cells
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let c = c.text();
                let pad = layout.widths[i].saturating_sub(c.chars().count());
                if layout.numeric[i] {
                    format!("{}{c}", " ".repeat(pad))
                } else {
                    format!("{c}{}", " ".repeat(pad))
                }
            })
            .collect::<Vec<_>>()
            .join("  ");
        writeln!(self.out, "{}", text.trim_end())
    }
}

/// A CSV field, quoted when it must be.
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn sample() -> Table {
        let mut t = Table::new(&["product", "seats", "cost"]);
        t.row(vec![
            "jira-software".into(),
            Cell::Int(120),
            Cell::Float(1032.0, 2),
        ]);
        t.row(vec!["a, \"b\"".into(), Cell::Int(7), Cell::Empty]);
        t
    }

    fn render(format: Format) -> String {
        let mut out = Vec::new();
        sample().write(format, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn a_streamed_table_is_laid_out_from_its_first_rows() {
        let mut out = Vec::new();
        let mut w = RowWriter::new(&["id", "n"], Format::Table, &mut out, 2);
        w.row(vec!["a".into(), Cell::Int(1)]).unwrap();
        w.row(vec!["bb".into(), Cell::Int(22)]).unwrap();
        w.row(vec!["cccc".into(), Cell::Int(3)]).unwrap();
        w.finish().unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "id   n\na    1\nbb  22\ncccc   3\n"
        );
    }

    #[test]
    fn empty_outputs_are_still_well_formed() {
        for (format, want) in [
            (Format::Json, "[]\n"),
            (Format::Csv, "product,seats,cost\n"),
            (Format::Table, "product  seats  cost\n"),
        ] {
            let mut out = Vec::new();
            Table::new(&["product", "seats", "cost"])
                .write(format, &mut out)
                .unwrap();
            assert_eq!(String::from_utf8(out).unwrap(), want, "{format:?}");
        }
    }

    #[test]
    fn tables_align_and_right_align_numbers() {
        assert_eq!(
            render(Format::Table),
            "product        seats     cost\n\
             jira-software    120  1032.00\n\
             a, \"b\"             7\n"
        );
    }

    #[test]
    fn csv_quotes_what_it_must() {
        assert_eq!(
            render(Format::Csv),
            "product,seats,cost\njira-software,120,1032.00\n\"a, \"\"b\"\"\",7,\n"
        );
    }

    #[test]
    fn json_keeps_types() {
        let v: Value = serde_json::from_str(&render(Format::Json)).unwrap();
        assert_eq!(v[0]["seats"], 120);
        assert_eq!(v[0]["cost"], 1032.0);
        assert_eq!(v[1]["cost"], Value::Null);
    }
}
