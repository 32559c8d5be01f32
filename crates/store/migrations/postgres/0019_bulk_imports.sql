-- An upload's rows by email: the row checks find the first row of each email in the rows
-- checked before, a batch at a time, instead of keeping every email of the file in memory.
CREATE INDEX import_rows_email ON import_rows (upload_id, email_lower, row_no);
