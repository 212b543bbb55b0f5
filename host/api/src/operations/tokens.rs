//! ID tokens: validation, one at a time, and bulk import (JSON rows or
//! CSV), all or nothing.

use std::collections::HashMap;

use domain::token::{token_key, validate_token};
use domain::{Change, ChangeSet, IdTokenRecord, IdTokenType, Storage, TokenStatus};

use crate::operations::{OperationError, Resource, RowError, parse_optional_time, write};
use crate::wire::{IdTokenInput, ImportResult};

/// The CSV columns an import understands; `value` is required.
pub const CSV_COLUMNS: [&str; 6] = ["value", "type", "status", "expires_at", "group_id", "concurrent_transactions"];

/// The most rows one import may hold.
pub const MAX_IMPORT_ROWS: usize = 100_000;

/// Checks `input`; every problem is reported as `(field, message)`.
pub fn check(input: &IdTokenInput) -> Result<IdTokenRecord, Vec<(String, String)>> {
    let mut problems = Vec::new();
    if let Err(e) = validate_token(&input.value) {
        problems.push(("value".to_owned(), e.to_string()));
    }
    // JSON is taken as given; CSV fields arrive trimmed, empty ones left out
    let kind = match input.kind.as_deref() {
        None => None,
        Some(text) => match IdTokenType::parse(text) {
            Some(IdTokenType::NoAuthorization) | None => {
                problems.push((
                    "type".to_owned(),
                    format!("{text:?} is not one of ISO14443, ISO15693, KeyCode, eMAID, MacAddress, Central, Local"),
                ));
                None
            }
            Some(kind) => Some(kind),
        },
    };
    let status = match input.status.as_deref() {
        None => TokenStatus::Accepted,
        Some(text) => TokenStatus::parse(text).unwrap_or_else(|| {
            problems.push(("status".to_owned(), format!("{text:?} is not Accepted or Blocked")));
            TokenStatus::Accepted
        }),
    };
    let expires_at = match parse_optional_time("expires_at", input.expires_at.as_deref()) {
        Ok(at) => at,
        Err(e) => {
            problems.push(("expires_at".to_owned(), message_of(e)));
            None
        }
    };
    let group_id = input.group_id.clone();
    if let Some(group) = &group_id
        && let Err(e) = validate_token(group)
    {
        problems.push(("group_id".to_owned(), e.to_string()));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(IdTokenRecord {
        value: input.value.clone(),
        kind,
        status,
        expires_at,
        group_id,
        concurrent_transactions: input.concurrent_transactions,
    })
}

fn message_of(error: OperationError) -> String {
    match error {
        OperationError::Invalid { message, .. } => message,
        other => other.to_string(),
    }
}

fn checked(input: &IdTokenInput) -> Result<IdTokenRecord, OperationError> {
    check(input).map_err(|mut problems| {
        let (field, message) = problems.remove(0);
        OperationError::Invalid { field, message }
    })
}

/// The token `value` (any case), which must exist.
pub fn existing(storage: &dyn Storage, value: &str) -> Result<IdTokenRecord, OperationError> {
    storage.id_token(value)?.ok_or_else(|| OperationError::not_found(Resource::IdToken, value))
}

/// Registers a new token; refuses one that exists (in any case).
pub async fn create(storage: &dyn Storage, input: &IdTokenInput) -> Result<IdTokenRecord, OperationError> {
    let record = checked(input)?;
    if storage.id_token(&record.value)?.is_some() {
        return Err(OperationError::Exists { resource: Resource::IdToken, id: record.value });
    }
    write(storage, Change::PutIdToken(record.clone()).into()).await?;
    Ok(record)
}

/// Registers or replaces a token; says whether it was new.
pub async fn put(storage: &dyn Storage, input: &IdTokenInput) -> Result<(IdTokenRecord, bool), OperationError> {
    let record = checked(input)?;
    let created = storage.id_token(&record.value)?.is_none();
    write(storage, Change::PutIdToken(record.clone()).into()).await?;
    Ok((record, created))
}

/// Removes a token; returns what it was.
pub async fn delete(storage: &dyn Storage, value: &str) -> Result<IdTokenRecord, OperationError> {
    let record = existing(storage, value)?;
    write(storage, Change::DeleteIdToken(record.key()).into()).await?;
    Ok(record)
}

/// Imports `rows`, replacing tokens that exist: every row is checked first
/// and if any is bad (or two name the same token) nothing is imported and
/// every bad row is reported. The import is one atomic change.
pub async fn import(storage: &dyn Storage, rows: &[IdTokenInput]) -> Result<ImportResult, OperationError> {
    if rows.len() > MAX_IMPORT_ROWS {
        return Err(OperationError::invalid("rows", format!("at most {MAX_IMPORT_ROWS} rows per import, got {}", rows.len())));
    }
    let mut errors = Vec::new();
    let mut records = Vec::with_capacity(rows.len());
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (index, input) in rows.iter().enumerate() {
        let row = index + 1;
        match check(input) {
            Ok(record) => {
                if let Some(first) = seen.insert(token_key(&record.value), row) {
                    errors.push(RowError {
                        row,
                        field: Some("value".to_owned()),
                        message: format!("token {} is also in row {first}", record.value),
                    });
                }
                records.push(record);
            }
            Err(problems) => {
                errors.extend(problems.into_iter().map(|(field, message)| RowError { row, field: Some(field), message }))
            }
        }
    }
    if !errors.is_empty() {
        return Err(OperationError::InvalidRows(errors));
    }
    let mut created = 0;
    let mut changes = ChangeSet::new();
    for record in records {
        if storage.id_token(&record.value)?.is_none() {
            created += 1;
        }
        changes.push(Change::PutIdToken(record));
    }
    let imported = changes.changes.len();
    write(storage, changes).await?;
    Ok(ImportResult { imported, created, replaced: imported - created })
}

/// Reads CSV: a header row naming columns of [`CSV_COLUMNS`] (in any order;
/// `value` required), then one token per row. Fields may be quoted with `"`
/// (a quote inside is doubled). Empty fields are left out.
pub fn parse_csv(text: &str) -> Result<Vec<IdTokenInput>, OperationError> {
    let records = csv_records(text).map_err(|(row, message)| {
        OperationError::InvalidRows(vec![RowError { row, field: None, message }])
    })?;
    let mut records = records.into_iter();
    let Some(header) = records.next() else {
        return Err(OperationError::invalid("csv", "the CSV is empty; its first row must name the columns"));
    };
    let mut columns = Vec::with_capacity(header.len());
    for name in &header {
        let name = name.trim().to_ascii_lowercase();
        if !CSV_COLUMNS.contains(&name.as_str()) {
            return Err(OperationError::invalid(
                "csv",
                format!("unknown column {name:?} in the header; the columns are {}", CSV_COLUMNS.join(", ")),
            ));
        }
        if columns.contains(&name) {
            return Err(OperationError::invalid("csv", format!("column {name:?} appears twice in the header")));
        }
        columns.push(name);
    }
    if !columns.iter().any(|c| c == "value") {
        return Err(OperationError::invalid("csv", "the header must have a `value` column"));
    }
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    for (index, fields) in records.enumerate() {
        let row = index + 1;
        if fields.len() == 1 && fields[0].trim().is_empty() {
            continue; // blank line
        }
        if fields.len() != columns.len() {
            errors.push(RowError {
                row,
                field: None,
                message: format!("has {} fields; the header has {}", fields.len(), columns.len()),
            });
            continue;
        }
        let mut input = IdTokenInput::default();
        for (column, field) in columns.iter().zip(fields) {
            let value = (!field.trim().is_empty()).then(|| field.trim().to_owned());
            match column.as_str() {
                "value" => input.value = value.unwrap_or_default(),
                "type" => input.kind = value,
                "status" => input.status = value,
                "expires_at" => input.expires_at = value,
                "group_id" => input.group_id = value,
                _ => match value.as_deref().map(str::to_ascii_lowercase).as_deref() {
                    None | Some("false" | "no" | "0") => input.concurrent_transactions = false,
                    Some("true" | "yes" | "1") => input.concurrent_transactions = true,
                    Some(other) => errors.push(RowError {
                        row,
                        field: Some("concurrent_transactions".to_owned()),
                        message: format!("{other:?} is not true or false"),
                    }),
                },
            }
        }
        rows.push(input);
    }
    if !errors.is_empty() {
        return Err(OperationError::InvalidRows(errors));
    }
    Ok(rows)
}

/// Splits CSV text into records of fields; an error names the data row
/// (0 for the header) and the problem.
fn csv_records(text: &str) -> Result<Vec<Vec<String>>, (usize, String)> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.trim_start_matches('\u{feff}').chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    field.push('"');
                    chars.next();
                }
                '"' => quoted = false,
                other => field.push(other),
            }
            continue;
        }
        match c {
            '"' if field.is_empty() => quoted = true,
            ',' => record.push(std::mem::take(&mut field)),
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' | '\r' => {
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
            }
            other => field.push(other),
        }
    }
    if quoted {
        return Err((records.len(), "a quoted field is not closed".to_owned()));
    }
    if !field.is_empty() || !record.is_empty() {
        record.push(field);
        records.push(record);
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_is_read_with_quotes_and_any_column_order() {
        let text = "status,value,type\r\nBlocked,\"A,1\",ISO14443\n,B2,\n\n\"\",\"say \"\"hi\"\"\",\n";
        let rows = parse_csv(text).unwrap();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0].value, "A,1");
        assert_eq!(rows[0].status.as_deref(), Some("Blocked"));
        assert_eq!(rows[0].kind.as_deref(), Some("ISO14443"));
        assert_eq!((rows[1].value.as_str(), rows[1].kind.as_deref()), ("B2", None));
        assert_eq!(rows[2].value, "say \"hi\"");
    }

    #[test]
    fn csv_mistakes_are_reported() {
        assert!(matches!(parse_csv(""), Err(OperationError::Invalid { .. })));
        assert!(matches!(parse_csv("token\nA\n"), Err(OperationError::Invalid { .. })));
        assert!(matches!(parse_csv("type\nISO14443\n"), Err(OperationError::Invalid { .. })));
        match parse_csv("value,type\nA\nB,KeyCode,extra\n") {
            Err(OperationError::InvalidRows(rows)) => assert_eq!(rows.iter().map(|r| r.row).collect::<Vec<_>>(), [1, 2]),
            other => panic!("{other:?}"),
        }
        assert!(matches!(parse_csv("value\n\"open\n"), Err(OperationError::InvalidRows(_))));
    }

    #[test]
    fn every_problem_of_a_token_is_reported() {
        let input = IdTokenInput {
            value: "has space".into(),
            kind: Some("Barcode".into()),
            status: Some("Maybe".into()),
            expires_at: Some("tomorrow".into()),
            group_id: None,
            concurrent_transactions: false,
        };
        let fields: Vec<String> = check(&input).unwrap_err().into_iter().map(|(f, _)| f).collect();
        assert_eq!(fields, ["value", "type", "status", "expires_at"]);
        let ok = check(&IdTokenInput { value: "04A2".into(), kind: Some("iso14443".into()), ..Default::default() });
        assert_eq!(ok.unwrap().kind, Some(IdTokenType::Iso14443));
    }
}
