//! Handing DuckDB whole columns: a file's record frames become Arrow record
//! batches laid out exactly as the warehouse tables (column order and types
//! read from the warehouse once per run), with the agency and submission id
//! filled in, ready for DuckDB's appender.

use std::sync::Arc;

use duckdb::arrow::array::{new_null_array, ArrayRef, BooleanArray, Date32Array, Int64Array, StringViewArray};
use duckdb::arrow::datatypes::{DataType as ArrowType, Field, Schema as ArrowSchema};
use duckdb::arrow::record_batch::RecordBatch;
use polars::prelude::{Column, DataFrame, DataType};

/// One warehouse table's columns, in order, with their Arrow types.
#[derive(Debug, Clone)]
pub struct TableLayout {
    pub table: String,
    pub columns: Vec<(String, ArrowType)>,
}

/// The Arrow type of a DuckDB column type name.
pub fn arrow_type(duckdb_type: &str) -> Result<ArrowType, String> {
    match duckdb_type {
        "VARCHAR" => Ok(ArrowType::Utf8View),
        "BIGINT" => Ok(ArrowType::Int64),
        "DATE" => Ok(ArrowType::Date32),
        "BOOLEAN" => Ok(ArrowType::Boolean),
        other => Err(format!("column type {other} is not one the loader writes")),
    }
}

/// A value the loader sets for every row of a file.
#[derive(Debug, Clone)]
pub enum Constant<'a> {
    Text(&'a str),
    Int(i64),
}

impl TableLayout {
    /// The frame's rows as a record batch of this table: columns taken by name from the frame,
    /// `constants` for the others named there, nulls for the rest.
    pub fn batch(&self, frame: &DataFrame, constants: &[(&str, Constant<'_>)]) -> Result<RecordBatch, String> {
        let n = frame.height();
        let mut fields = Vec::with_capacity(self.columns.len());
        let mut arrays: Vec<ArrayRef> = Vec::with_capacity(self.columns.len());
        for (name, ty) in &self.columns {
            let array: ArrayRef = match constants.iter().find(|(c, _)| c == name) {
                Some((_, Constant::Text(t))) => Arc::new(StringViewArray::from_iter_values(std::iter::repeat_n(*t, n))),
                Some((_, Constant::Int(v))) => Arc::new(Int64Array::from_value(*v, n)),
                None => match frame.column(name) {
                    Ok(c) => to_arrow(c, ty).map_err(|e| format!("{}.{name}: {e}", self.table))?,
                    Err(_) => new_null_array(ty, n),
                },
            };
            fields.push(Field::new(name, ty.clone(), true));
            arrays.push(array);
        }
        RecordBatch::try_new(Arc::new(ArrowSchema::new(fields)), arrays).map_err(|e| format!("{}: {e}", self.table))
    }
}

/// One polars column as the Arrow array of the warehouse type `ty`.
fn to_arrow(c: &Column, ty: &ArrowType) -> Result<ArrayRef, String> {
    let e = |e: polars::prelude::PolarsError| e.to_string();
    Ok(match (c.dtype(), ty) {
        (DataType::String, ArrowType::Utf8View) => Arc::new(StringViewArray::from_iter(c.str().map_err(e)?.iter())),
        (DataType::Date, ArrowType::Date32) => Arc::new(Date32Array::from_iter(c.date().map_err(e)?.physical().iter())),
        (DataType::Int64, ArrowType::Int64) => Arc::new(Int64Array::from_iter(c.i64().map_err(e)?.iter())),
        (DataType::Boolean, ArrowType::Boolean) => Arc::new(BooleanArray::from_iter(c.bool().map_err(e)?.iter())),
        (DataType::Null, ty) => new_null_array(ty, c.len()),
        (from, to) => return Err(format!("a {from} column cannot fill a {to} column")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use duckdb::arrow::array::{Array, AsArray};

    #[test]
    fn a_frame_becomes_a_batch_in_table_order_with_constants_and_nulls() {
        let layout = TableLayout {
            table: "t".into(),
            columns: vec![
                ("agency".into(), ArrowType::Utf8View),
                ("client_id".into(), ArrowType::Utf8View),
                ("refld".into(), ArrowType::Date32),
                ("missing".into(), ArrowType::Int64),
                ("submission_id".into(), ArrowType::Int64),
            ],
        };
        let frame = DataFrame::new(2, vec![
            Column::new("client_id".into(), ["C1", "C2"]),
            Column::new("refld".into(), [Some(20000i32), None]).cast(&DataType::Date).unwrap(),
        ])
        .unwrap();
        let batch = layout.batch(&frame, &[("agency", Constant::Text("N0001")), ("submission_id", Constant::Int(7))]).unwrap();
        assert_eq!(batch.num_columns(), 5);
        assert_eq!(batch.column(0).as_string_view().value(1), "N0001");
        assert_eq!(batch.column(1).as_string_view().value(0), "C1");
        assert!(batch.column(2).is_null(1));
        assert_eq!(batch.column(3).null_count(), 2);
        assert_eq!(batch.column(4).as_primitive::<duckdb::arrow::datatypes::Int64Type>().value(0), 7);
    }
}
