//! Tabular output in the three formats data commands offer: an aligned
//! table for people, JSON and CSV for programs.

use clap::ValueEnum;
use serde_json::{Map, Value};
use std::io::{IsTerminal, Write};

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

    fn json(&self) -> Value {
        match self {
            Cell::Text(s) => Value::String(s.clone()),
            Cell::Int(n) => Value::from(*n),
            Cell::Float(f, _) => Value::from(*f),
            Cell::Bool(b) => Value::Bool(*b),
            Cell::Empty => Value::Null,
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

/// Rows under named columns.
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

    /// Prints in `format` to standard output.
    pub fn print(&self, format: Format) -> std::io::Result<()> {
        let mut out = std::io::stdout().lock();
        self.write(format, &mut out)
    }

    /// Writes in `format`.
    pub fn write(&self, format: Format, out: &mut dyn Write) -> std::io::Result<()> {
        match format {
            Format::Table => self.write_table(out),
            Format::Json => {
                let rows: Vec<Value> = self
                    .rows
                    .iter()
                    .map(|r| {
                        Value::Object(
                            self.columns
                                .iter()
                                .zip(r)
                                .map(|(c, v)| ((*c).to_owned(), v.json()))
                                .collect::<Map<_, _>>(),
                        )
                    })
                    .collect();
                serde_json::to_writer_pretty(&mut *out, &rows)?;
                writeln!(out)
            }
            Format::Csv => {
                writeln!(out, "{}", self.columns.join(","))?;
                for r in &self.rows {
                    let line: Vec<String> = r.iter().map(|c| csv_field(&c.text())).collect();
                    writeln!(out, "{}", line.join(","))?;
                }
                Ok(())
            }
        }
    }

    fn write_table(&self, out: &mut dyn Write) -> std::io::Result<()> {
        let texts: Vec<Vec<String>> = self
            .rows
            .iter()
            .map(|r| r.iter().map(Cell::text).collect())
            .collect();
        let widths: Vec<usize> = self
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| {
                texts
                    .iter()
                    .map(|r| r[i].chars().count())
                    .chain([c.len()])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let numeric: Vec<bool> = (0..self.columns.len())
            .map(|i| {
                self.rows
                    .iter()
                    .all(|r| matches!(r[i], Cell::Int(_) | Cell::Float(..) | Cell::Empty))
            })
            .collect();
        let line = |cells: Vec<String>| {
            cells
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let pad = widths[i].saturating_sub(c.chars().count());
                    if numeric[i] {
                        format!("{}{c}", " ".repeat(pad))
                    } else {
                        format!("{c}{}", " ".repeat(pad))
                    }
                })
                .collect::<Vec<_>>()
                .join("  ")
                .trim_end()
                .to_owned()
        };
        let header: Vec<String> = self.columns.iter().map(|c| c.replace('_', " ")).collect();
        writeln!(out, "{}", line(header))?;
        for r in texts {
            writeln!(out, "{}", line(r))?;
        }
        Ok(())
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
